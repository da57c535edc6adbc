// Every zoo model at width 0.25 (1x28x28 and 3x32x32 inputs, random weights, random BN statistics
// and random calibration data) exports, the runtime accepts it and its int8 outputs are within
// 1 LSB of the fake-quant simulation on every element; the arena covers the exact PMU.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/models/zoo.h"
#include "datasets/dataset.h"
#include "core/resources/resource_model.h"
#include "export/exporter.h"
#include "tests/export/export_test_util.h"

namespace tinyprune {
namespace {

struct ZooCase {
  std::string model;
  TensorShape input;
};

void PrintTo(const ZooCase& c, std::ostream* os) { *os << c.model << " " << shape_string(c.input); }

std::string case_name(const ::testing::TestParamInfo<ZooCase>& info) {
  return info.param.model + "_" + std::to_string(info.param.input.c) + "x" + std::to_string(info.param.input.h);
}

class ExportZooTest : public ::testing::TestWithParam<ZooCase> {};

TEST_P(ExportZooTest, RuntimeMatchesSimulationWithinOneLsb) {
  torch::set_num_threads(1);
  const ZooCase& c = GetParam();
  ModelSpec spec;
  spec.name = c.model;
  spec.width = 0.25;
  spec.in_channels = c.input.c;
  spec.height = c.input.h;
  spec.width_px = c.input.w;
  spec.num_classes = 10;
  torch::manual_seed(0);
  const Graph g = build_model(spec);
  GraphModule m(g);
  testing::randomize_batch_norms(m, 1);
  torch::manual_seed(2);
  const std::vector<torch::Tensor> calib = {torch::randn({8, c.input.c, c.input.h, c.input.w}),
                                            torch::randn({8, c.input.c, c.input.h, c.input.w})};
  const ExportResult r = testing::export_in_memory(m, calib);
  const ResourceReport rep = ResourceModel(g).evaluate();
  EXPECT_EQ(r.macs, rep.macs);
  EXPECT_EQ(r.peak_memory_bytes, rep.peak_memory_bytes);
  EXPECT_GE(r.tensor_arena_bytes, r.peak_memory_bytes);
  EXPECT_EQ(r.plan.order_peak_bytes, r.peak_memory_bytes);
  EXPECT_GT(r.arena_bytes, r.tensor_arena_bytes);
  // Flash: int8 weights + 9 B per output channel (bias, multiplier, shift) + records; the
  // ResourceModel's estimate counts 12 B per channel and no records.
  EXPECT_GT(r.flash_bytes, rep.model_size_weights_only_bytes);

  torch::manual_seed(3);
  const torch::Tensor images = torch::randn({4, c.input.c, c.input.h, c.input.w});
  const testing::OpComparison cmp = testing::compare_ops_with_simulation(r, images);
  EXPECT_EQ(cmp.ops, static_cast<int64_t>(r.quantized.ops.size()));
  EXPECT_LE(cmp.max_lsb, 1) << "op \"" << cmp.worst_op << "\"";
  EXPECT_GT(cmp.exact, cmp.elements * 95 / 100);
  const testing::Comparison e2e = testing::compare_with_simulation(r, images);
  std::printf("[ %s ] flash=%lld arena=%lld tensor_arena=%lld pmu=%lld%s macs=%lld op-exact=%lld/%lld "
              "output max diff=%lld LSB\n",
              case_name({c, 0}).c_str(), static_cast<long long>(r.flash_bytes), static_cast<long long>(r.arena_bytes),
              static_cast<long long>(r.tensor_arena_bytes), static_cast<long long>(r.peak_memory_bytes),
              r.peak_memory_exact ? "" : "(default order)", static_cast<long long>(r.macs),
              static_cast<long long>(cmp.exact), static_cast<long long>(cmp.elements),
              static_cast<long long>(e2e.max_lsb));
}

std::vector<ZooCase> zoo_cases() {
  std::vector<ZooCase> cases;
  for (const std::string& name : ModelRegistry::global().names())
    for (const TensorShape& s : {TensorShape{1, 28, 28}, TensorShape{3, 32, 32}}) cases.push_back({name, s});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Zoo, ExportZooTest, ::testing::ValuesIn(zoo_cases()), case_name);

// FWCS kernels on a whole network: every conv forced to FWCS still matches the simulation.
TEST(ExportZooFwcsTest, Resnet20AllFwcsMatchesSimulation) {
  torch::set_num_threads(1);
  ModelSpec spec;
  spec.name = "resnet20";
  spec.width = 0.25;
  torch::manual_seed(0);
  GraphModule m(build_model(spec));
  testing::randomize_batch_norms(m, 1);
  torch::manual_seed(2);
  ExportOptions o;
  o.fwcs = "always";
  const ExportResult r = testing::export_in_memory(m, {torch::randn({8, 3, 32, 32})}, o);
  EXPECT_GT(r.fwcs_layers, 10);
  const testing::OpComparison c =
      testing::compare_ops_with_simulation(r, torch::randn({3, 3, 32, 32}), StoragePolicy::kAlways);
  EXPECT_LE(c.max_lsb, 1) << c.worst_op;
}

}  // namespace
}  // namespace tinyprune
