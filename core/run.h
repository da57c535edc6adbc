// run_experiment: one `tinyprune run` — data, model, training, results — into a run directory.
//
// Run directory layout (<output_dir>/<name>, or --out DIR):
//   config.yaml       the resolved config (every key with its effective value)
//   graph.yaml        the model's graph (the final, possibly compacted one)
//   model.pt          final weights (graph embedded; tinyprune analyze/export read it)
//   checkpoints/last.pt  rolling checkpoint for resume
//   metrics.jsonl, metrics.csv, summary.json
// An existing, non-empty run directory is never overwritten: unless the run resumes, a fresh
// "<name>-2", "<name>-3", ... is used instead (resume picks the newest existing one).
#pragma once

#include <string>

#include "core/experiment.h"
#include "core/json.h"
#include "core/train/trainer.h"

namespace tinyprune {

struct RunOptions {
  std::string out_dir;       // overrides <output_dir>/<name>
  bool show_progress = true;
};

struct RunResult {
  std::string run_dir;
  TrainResult train;
  Json summary;
};

// Chooses the run directory as described above (does not create it).
std::string choose_run_dir(const ExperimentConfig& config, const RunOptions& options);

RunResult run_experiment(const ExperimentConfig& config, const RunOptions& options = {});

}  // namespace tinyprune
