// Per-step cost of channel masking, measured interleaved in one process so machine load hits
// both sides alike: a training step (forward, cross-entropy, backward, SGD with momentum) of the
// bench's models without masks vs with a channel mask on every prunable group (half the channels
// kept, as the differentiable pruner's hard masks are mid-run), plus the compacted model those
// masks describe (what early termination switches to).
//
//   bench_mask_cost [--steps 20] [--rounds 7] [--batch 64] [--threads 1]
// Prints one table row per model: median ms per step over the rounds and the ratios.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/graph_module.h"
#include "core/logging.h"
#include "core/models/zoo.h"
#include "core/resources/channel_groups.h"
#include "pruners/compaction.h"
#include "pruners/mask_set.h"

using namespace tinyprune;

namespace {

struct Case {
  std::string model;
  double width;
  int64_t pixels;  // input side (Fashion-MNIST 28, or the bench's resize)
};

// Median milliseconds per training step over `rounds` timed blocks of `steps` steps each; the
// blocks of the variants alternate (round-robin), so drifts in machine load spread over all.
std::vector<double> time_variants(std::vector<GraphModule>& models, const torch::Tensor& x, const torch::Tensor& y,
                                  int steps, int rounds) {
  std::vector<std::unique_ptr<torch::optim::SGD>> opts;
  for (auto& m : models)
    opts.push_back(std::make_unique<torch::optim::SGD>(
        m->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-4)));
  std::vector<std::vector<double>> ms(models.size());
  auto step = [&](size_t v) {
    models[v]->train();
    opts[v]->zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(models[v]->forward(x), y);
    loss.backward();
    opts[v]->step();
    (void)loss.item<double>();  // the trainer reads the loss every step too
  };
  for (size_t v = 0; v < models.size(); ++v)
    for (int i = 0; i < 3; ++i) step(v);  // warm-up
  for (int r = 0; r < rounds; ++r)
    for (size_t v = 0; v < models.size(); ++v) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < steps; ++i) step(v);
      ms[v].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / steps);
    }
  std::vector<double> med;
  for (auto& m : ms) {
    std::sort(m.begin(), m.end());
    med.push_back(m[m.size() / 2]);
  }
  return med;
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 20, rounds = 7, threads = 1;
  int64_t batch = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--steps") steps = std::stoi(v);
    else if (k == "--rounds") rounds = std::stoi(v);
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--threads") threads = std::stoi(v);
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  set_log_level("warn");
  torch::set_num_threads(threads);
  std::printf("%-12s %6s %5s %10s %10s %12s %12s %14s\n", "model", "width", "px", "plain_ms", "masked_ms",
              "compact_ms", "masked/plain", "compact/plain");
  for (const Case& c : {Case{"vgg11", 0.25, 28}, Case{"resnet20", 0.5, 16}, Case{"mobilenetv2", 0.35, 16}}) {
    torch::manual_seed(0);
    ModelSpec spec;
    spec.name = c.model;
    spec.width = c.width;
    const Graph g = build_model(spec.for_data({1, c.pixels, c.pixels}, 10));
    GraphModule plain(g), masked(g);
    MaskSet masks(g);
    const ChannelGroups& groups = masks.groups();
    for (const ChannelGroup& grp : groups.groups()) {
      if (!grp.prunable) continue;
      torch::Tensor keep = torch::zeros({grp.channels});
      keep.index_put_({torch::randperm(grp.channels).slice(0, 0, std::max<int64_t>(1, grp.channels / 2))}, 1.0);
      masks.set_channel_mask(grp.id, keep);
    }
    masks.apply_output_masks(masked);
    GraphModule compact_model = compact(masked, masks).model;
    const torch::Tensor x = torch::randn({batch, 1, c.pixels, c.pixels});
    const torch::Tensor y = torch::randint(0, 10, {batch});
    std::vector<GraphModule> models{plain, masked, compact_model};
    const std::vector<double> ms = time_variants(models, x, y, steps, rounds);
    std::printf("%-12s %6.2f %5lld %10.2f %10.2f %12.2f %12.3f %14.3f\n", c.model.c_str(), c.width,
                static_cast<long long>(c.pixels), ms[0], ms[1], ms[2], ms[1] / ms[0], ms[2] / ms[0]);
    std::fflush(stdout);
  }
  return 0;
}
