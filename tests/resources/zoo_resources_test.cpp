// The resource model on every model-zoo architecture: consistent counts, exact PMU, DP cost.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "core/models/zoo.h"
#include "core/resources/resource_model.h"

namespace tinyprune {
namespace {

void check(const ModelSpec& spec) {
  const Graph g = build_model(spec);
  ResourceModel rm(g);
  const auto t0 = std::chrono::steady_clock::now();
  const ResourceReport r = rm.evaluate();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[zoo] %-12s %3lldx%-3lld classes=%-4lld params=%9lld MACs=%11lld flash=%9lld B pmu=%8lld B "
              "(default %8lld, naive %8lld) states=%5lld evaluate=%.3f ms\n",
              spec.name.c_str(), static_cast<long long>(spec.height), static_cast<long long>(spec.width_px),
              static_cast<long long>(spec.num_classes), static_cast<long long>(r.params),
              static_cast<long long>(r.macs), static_cast<long long>(r.model_size_bytes),
              static_cast<long long>(r.peak_memory_bytes), static_cast<long long>(r.peak_memory_default_order_bytes),
              static_cast<long long>(r.peak_memory_naive_bytes), static_cast<long long>(r.dp_states), ms);
  EXPECT_EQ(r.params, g.param_count()) << spec.name;
  EXPECT_TRUE(r.peak_memory_exact) << spec.name;
  EXPECT_LE(r.peak_memory_bytes, r.peak_memory_default_order_bytes) << spec.name;
  EXPECT_LE(r.peak_memory_naive_bytes, r.peak_memory_bytes) << spec.name;
  EXPECT_GE(r.model_size_bytes, r.model_size_weights_only_bytes) << spec.name;
  // Every prunable group can be halved and the model still evaluates.
  std::vector<double> pi = rm.groups().unit_multipliers();
  for (const ChannelGroup& grp : rm.groups().groups())
    if (grp.prunable) pi[static_cast<size_t>(grp.id)] = 0.5;
  const ResourceGradients gr = rm.gradients(pi);
  EXPECT_LT(gr.report.macs, r.macs) << spec.name;
}

TEST(ZooResourcesTest, EveryModelEvaluates) {
  for (const std::string& name : ModelRegistry::global().names()) {
    ModelSpec spec;
    spec.name = name;
    check(spec);
  }
  ModelSpec big;
  big.name = "mobilenetv2";
  big.height = big.width_px = 224;
  big.num_classes = 1000;
  check(big);
}

}  // namespace
}  // namespace tinyprune
