// pmu_bench: time and state counts of the exact peak-memory DP (core/resources/peak_memory.h) on
// the reference models and on k parallel branches of length n, with and without branch-and-bound.
// Torch-free; build and run with bench/resources/run.sh (no CMake target, see README.md).
#include <chrono>
#include <cstdio>
#include <string>

#include "core/error.h"
#include "core/resources/peak_memory.h"
#include "core/resources/resource_model.h"
#include "tests/resources/test_graphs.h"

using namespace tinyprune;

namespace {

void run(const std::string& name, const Graph& graph) {
  ResourceModel rm(graph);
  const TensorGraph tg = rm.tensor_graph(rm.groups().original_widths());
  for (bool bnb : {true, false}) {
    PeakMemoryOptions o;
    o.branch_and_bound = bnb;
    o.state_cap = 20000000;
    const int reps = 5;
    double best_ms = 1e30;
    OptimalSchedule s;
    try {
      for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        s = min_peak_memory(tg, o);
        best_ms = std::min(best_ms,
                           std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      std::printf("%-34s %-4s tensors=%4d states=%9lld time=%10.3f ms peak=%.0f B default=%.0f B naive=%.0f B\n",
                  name.c_str(), bnb ? "bnb" : "full", tg.size(), static_cast<long long>(s.states), best_ms, s.peak,
                  schedule_memory(tg, tg.default_order()).peak, naive_peak_memory(tg).peak);
    } catch (const ResourceError& e) {
      std::printf("%-34s %-4s tensors=%4d %s\n", name.c_str(), bnb ? "bnb" : "full", tg.size(), e.what());
    }
  }
}

}  // namespace

int main() {
  run("mobilenet_v2 3x224x224 /1000", testgraphs::mobilenet_v2(224, 1000));
  run("mobilenet_v2 3x32x32 /10", testgraphs::mobilenet_v2(32, 10));
  run("resnet18 3x32x32 /10", testgraphs::resnet18_cifar());
  run("vgg16 3x32x32 /10", testgraphs::vgg16_cifar());
  for (int k = 1; k <= 6; ++k)
    for (int n : {2, 4, 8, 16}) {
      if (k >= 5 && n > 8) continue;
      run("branches k=" + std::to_string(k) + " n=" + std::to_string(n), testgraphs::parallel_branches(k, n));
    }
  return 0;
}
