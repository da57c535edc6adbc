#include "apps/tinyprune/commands.h"

namespace tinyprune::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"run", "train (and prune, export) from a YAML experiment file",
       "Usage: tinyprune run CONFIG [--set key.path=value ...] [--out DIR] [--no-progress]\n\n"
       "Runs the experiment described by CONFIG (see configs/). Results go to the run directory\n"
       "(<output_dir>/<name>, or DIR): config.yaml, graph.yaml, model.pt, metrics.jsonl/.csv,\n"
       "summary.json, checkpoints/. Prints the run directory on success.\n\n"
       "  --set key.path=value  override a config value (YAML syntax), repeatable\n"
       "  --out DIR             write the run to DIR\n"
       "  --no-progress         no progress bar (periodic log lines are still written)\n\n"
       "Ctrl-C stops after writing a checkpoint; continue with --set train.resume=true.\n",
       run_command},
      {"analyze", "resources of a model: params, int8 size, MACs, peak memory",
       "Usage: tinyprune analyze CONFIG|RUN_DIR [--json] [--inplace-add]\n"
       "       tinyprune analyze --model NAME [--width W] --input CxHxW --classes N [--json]\n\n"
       "Prints a per-layer table and totals: parameters, int8 model size (weights + int32 bias +\n"
       "per-channel requantization), MACs, and peak activation memory (exact minimum over\n"
       "execution orders, default order, and the naive per-op bound).\n\n"
       "  --json          one JSON object instead of the table\n"
       "  --inplace-add   let a residual Add overwrite one of its summands\n"
       "  --state-cap N   memo-state cap of the exact peak-memory search (default 1e6; past it the\n"
       "                  default order is reported, with a warning)\n",
       analyze_command},

  };
  return kCommands;
}

}  // namespace tinyprune::cli
