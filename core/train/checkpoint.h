// Checkpoints: one file holding everything needed to continue a run bit-for-bit:
// the graph (a pruner may have compacted the model), parameters and buffers, optimizer state,
// step counters, LibTorch's RNG state and every callback's state. Written atomically.
#pragma once

#include <torch/optim/optimizer.h>

#include <memory>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/graph_module.h"
#include "core/train/callback.h"

namespace tinyprune {

struct CheckpointMeta {
  int64_t step = 0;
  int64_t epoch = 0;
  int64_t step_in_epoch = 0;
  // Metric records written when the checkpoint was taken (-1: unknown, a checkpoint from before
  // this field). Resume truncates the metric streams to this count: steps alone cannot say what
  // came later, since a pruner that rewinds (ctx.restart_at) repeats step numbers.
  int64_t metrics_records = -1;
};

void save_checkpoint(const std::string& path, GraphModule& model, const torch::optim::Optimizer& optimizer,
                     const CheckpointMeta& meta, const std::vector<std::shared_ptr<Callback>>& callbacks);

// The graph stored in a checkpoint (build the GraphModule from it before load_checkpoint).
Graph read_checkpoint_graph(const std::string& path);

// Restores model, optimizer, RNG and callback states; returns the step counters.
// Throws Error naming the file if it is unreadable or does not match the model.
CheckpointMeta load_checkpoint(const std::string& path, GraphModule& model, torch::optim::Optimizer& optimizer,
                               const std::vector<std::shared_ptr<Callback>>& callbacks);

// Model-only files (run_dir/model.pt): graph + parameters + buffers.
void save_model(const std::string& path, GraphModule& model);
GraphModule load_model(const std::string& path);
// The same bytes in memory (model portfolios keep them DEFLATE-compressed, export/portfolio.h).
// load_model_bytes releases `bytes` once parsed, before the model is built (lower peak memory);
// `where` names the source in error messages (e.g. "run/portfolio.tpf: variant 3").
std::string save_model_bytes(GraphModule& model);
GraphModule load_model_bytes(std::string bytes, const std::string& where);

}  // namespace tinyprune
