// Export -> tpr_model_init -> tpr_invoke on small hand-built graphs: every deployed op kind, the
// runtime's int8 outputs vs the fake-quant simulation (within 1 LSB on every element), FWCS.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

#include "core/error.h"
#include "core/resources/resource_model.h"
#include "export/blob_info.h"
#include "export/exporter.h"
#include "export/quantize.h"
#include "tests/export/export_test_util.h"
#include "tests/test_util.h"

namespace tinyprune {
namespace {

std::vector<torch::Tensor> random_batches(const TensorShape& s, int batches = 2, int64_t n = 8, uint64_t seed = 3) {
  torch::manual_seed(seed);
  std::vector<torch::Tensor> out;
  for (int i = 0; i < batches; ++i) out.push_back(torch::randn({n, s.c, s.h, s.w}));
  return out;
}

// Exports `g` (random weights, random BN statistics), checks runtime == simulation within 1 LSB
// on fresh images and returns the result.
ExportResult export_and_check(const Graph& g, ExportOptions o = {}, uint64_t seed = 0,
                              const std::function<void(GraphModule&)>& edit = nullptr) {
  torch::manual_seed(seed);
  GraphModule m(g);
  testing::randomize_batch_norms(m, seed + 1);
  if (edit) edit(m);
  const TensorShape s = g.node(0).shape;
  ExportResult r = testing::export_in_memory(m, random_batches(s), o);
  torch::manual_seed(seed + 100);
  const torch::Tensor images = torch::randn({6, s.c, s.h, s.w});
  const StoragePolicy policy = o.fwcs == "always" ? StoragePolicy::kAlways
                               : (o.fwcs == "never" ? StoragePolicy::kNever : StoragePolicy::kAuto);
  const testing::OpComparison c = testing::compare_ops_with_simulation(r, images, policy);
  EXPECT_EQ(c.ops, static_cast<int64_t>(r.quantized.ops.size()));
  EXPECT_LE(c.max_lsb, 1) << "op \"" << c.worst_op << "\" differs from the simulation by " << c.max_lsb << " LSB";
  EXPECT_GT(c.exact, c.elements * 95 / 100) << c.exact << " of " << c.elements << " exact";
  // End to end (upstream rounding differences propagate): close, not necessarily within 1 LSB.
  const testing::Comparison e = testing::compare_with_simulation(r, images);
  EXPECT_LE(e.max_lsb, 4) << "network output differs from the simulation by " << e.max_lsb << " LSB";
  EXPECT_GE(r.tensor_arena_bytes, r.peak_memory_bytes);
  return r;
}

TEST(ExportGraphsTest, ConvPoolDepthwiseGapLinear) {
  Graph g;
  int x = g.input(3, 12, 12);
  x = g.relu(g.batch_norm(g.conv2d(x, 8, 3, 1, 1, 1, /*bias=*/true)));
  x = g.max_pool(x, 2, 2);
  x = g.relu6(g.batch_norm(g.conv2d(x, 16, 1)));              // 1x1
  x = g.relu(g.batch_norm(g.conv2d(x, 16, 3, 2, 1, /*groups=*/16)));  // depthwise, stride 2
  x = g.linear(g.flatten(g.global_avg_pool(x)), 5);
  const ExportResult r = export_and_check(g);
  std::vector<std::string> ops;
  for (const auto& l : r.layers) ops.push_back(l.op);
  EXPECT_EQ(ops, (std::vector<std::string>{"conv2d", "max_pool", "conv2d", "depthwise_conv2d", "global_avg_pool",
                                           "fully_connected"}));
  EXPECT_EQ(r.macs, ResourceModel(g).evaluate().macs);
  const BlobInfo info = inspect_blob(r.blob);
  EXPECT_EQ(info.macs, r.macs);
  EXPECT_EQ(info.blob_bytes, r.flash_bytes);
  EXPECT_EQ(info.tensor_arena_bytes, r.tensor_arena_bytes);
}

TEST(ExportGraphsTest, ResidualAddAvgPoolAndFlattenedLinear) {
  // The FC reads a 3x3x8 map through flatten + dropout: its columns must be permuted to NHWC.
  Graph g;
  int x = g.input(2, 12, 12);
  x = g.relu(g.batch_norm(g.conv2d(x, 8, 3, 1, 1)));
  int y = g.relu(g.batch_norm(g.conv2d(x, 8, 3, 1, 1)));
  y = g.batch_norm(g.conv2d(y, 8, 3, 1, 1));
  x = g.relu(g.add(y, x));
  x = g.avg_pool(x, 2, 2);
  x = g.max_pool(x, 3, 2, 1);
  x = g.linear(g.dropout(g.flatten(x), 0.3), 7, /*bias=*/true);
  ExportOptions o;
  const ExportResult r = export_and_check(g, o, 5);
  EXPECT_EQ(r.quantized.tensors[static_cast<size_t>(r.quantized.output)].rank, 2);
  // With in-place adds the plan may reuse the dying summand; still within 1 LSB and no overlap.
  o.inplace_add = true;
  const ExportResult ri = export_and_check(g, o, 5);
  EXPECT_LE(ri.tensor_arena_bytes, r.tensor_arena_bytes);
}

TEST(ExportGraphsTest, StandaloneBatchNormReluAndDepthMultiplier) {
  Graph g;
  int x = g.input(3, 10, 10);
  const int c = g.batch_norm(g.conv2d(x, 6, 3, 1, 1));
  const int a = g.relu(c, "relu_standalone");  // c has two readers: the ReLU cannot be fused
  x = g.add(c, a);
  x = g.max_pool(x, 2, 2);
  x = g.relu6(g.batch_norm(x, "bn_after_pool"));  // standalone BN (1x1 depthwise) + fused ReLU6
  x = g.relu6(g.max_pool(x, 1, 1), "relu6_standalone");
  x = g.conv2d(x, 12, 3, 1, 0, /*groups=*/6, /*bias=*/true);  // depth multiplier 2
  x = g.linear(g.relu(g.linear(g.flatten(g.global_avg_pool(x)), 9)), 4);
  const ExportResult r = export_and_check(g, {}, 7, [](GraphModule& m) {
    torch::NoGradGuard ng;
    // Wider BN output ranges so ReLU6 clamps bite.
    const int bn = m->graph().at("bn_after_pool");
    m->batch_norm(bn)->weight.uniform_(2.0, 6.0);
  });
  int dw = 0, pools = 0;
  for (const auto& l : r.layers) {
    dw += l.op == "depthwise_conv2d";
    pools += l.op == "max_pool";
  }
  EXPECT_EQ(dw, 2);     // standalone BN + grouped conv with multiplier 2
  EXPECT_EQ(pools, 4);  // two pools + two standalone activations
}

TEST(ExportGraphsTest, StridedConvOnOddSizesUsesExplicitPadding) {
  Graph g;
  int x = g.input(1, 9, 7);
  x = g.relu(g.batch_norm(g.conv2d(x, 4, 3, 2, 1)));
  x = g.relu(g.batch_norm(g.conv2d(x, 8, 5, 2, 2)));
  x = g.linear(g.flatten(x), 3);
  export_and_check(g, {}, 11);
}

// A conv whose pruned filterlets are exactly zero: stored as FWCS automatically, smaller than
// dense, and still within 1 LSB of the simulation.
TEST(ExportGraphsTest, ZeroFilterletsExportAsFwcs) {
  Graph g;
  int x = g.input(8, 10, 10);
  x = g.relu(g.batch_norm(g.conv2d(x, 16, 3, 1, 1), "bn0"));
  const int conv = g.conv2d(x, 32, 3, 1, 1, 1, false, "sparse_conv");
  x = g.relu(g.batch_norm(conv, "bn1"));
  x = g.linear(g.flatten(g.global_avg_pool(x)), 10);
  torch::Tensor keep;
  auto prune = [&](GraphModule& m) {
    torch::NoGradGuard ng;
    torch::manual_seed(42);
    keep = torch::rand({32, 3, 3}) < 0.3;  // keep ~30 % of the filterlets
    m->conv(conv)->weight.mul_(keep.unsqueeze(1).to(torch::kFloat));
  };
  const ExportResult sparse = export_and_check(g, {}, 13, prune);
  const LayerStorage* l = nullptr;
  for (const auto& x2 : sparse.layers)
    if (x2.name == "sparse_conv") l = &x2;
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->storage, "fwcs");
  EXPECT_EQ(l->filterlets, 32 * 9);
  EXPECT_EQ(l->kept_filterlets, keep.sum().item<int64_t>());
  EXPECT_LT(l->weight_bytes, l->dense_weight_bytes / 2);
  EXPECT_LT(l->executed_macs, l->macs / 2);
  // The dense first conv stays dense.
  EXPECT_EQ(sparse.layers[0].storage, "dense");

  ExportOptions dense;
  dense.fwcs = "never";
  const ExportResult d = export_and_check(g, dense, 13, prune);
  EXPECT_EQ(d.fwcs_layers, 0);
  EXPECT_GT(d.flash_bytes, sparse.flash_bytes);
  // Same quantized model, different storage: bit-identical outputs.
  const torch::Tensor xq = quantize_input(sparse.quantized, torch::randn({4, 8, 10, 10}));
  EXPECT_TRUE(torch::equal(testing::run_runtime(sparse.blob, xq), testing::run_runtime(d.blob, xq)));
}

TEST(ExportGraphsTest, GivenFilterletMasksDropWeightsAndForceFwcs) {
  Graph g;
  int x = g.input(4, 8, 8);
  const int conv = g.conv2d(x, 16, 3, 1, 1, 1, true, "masked");
  x = g.relu(g.batch_norm(conv));
  x = g.linear(g.flatten(g.global_avg_pool(x)), 3);
  torch::manual_seed(2);
  const torch::Tensor mask = torch::rand({16, 3, 3}) < 0.25;
  ExportOptions o;
  o.keep_masks["masked"] = mask;
  const ExportResult r = export_and_check(g, o, 17);
  EXPECT_EQ(r.layers[0].storage, "fwcs");
  EXPECT_EQ(r.layers[0].kept_filterlets, mask.sum().item<int64_t>());
  const QOp& q = r.quantized.ops[0];
  EXPECT_TRUE(torch::equal(q.keep, mask));
  EXPECT_EQ(q.weight.masked_select(mask.logical_not().unsqueeze(1).expand_as(q.weight)).abs().sum().item<int64_t>(), 0);

  // Bad masks are errors naming the node.
  ExportOptions bad;
  bad.keep_masks["masked"] = torch::ones({16, 3});
  GraphModule m(g);
  EXPECT_THROW(testing::export_in_memory(m, random_batches(g.node(0).shape), bad), ExportError);
  bad.keep_masks.clear();
  bad.keep_masks["nope"] = mask;
  EXPECT_THROW(testing::export_in_memory(m, random_batches(g.node(0).shape), bad), ExportError);
}

TEST(ExportGraphsTest, FwcsAlwaysMatchesDense) {
  Graph g;
  int x = g.input(3, 9, 9);
  x = g.relu(g.batch_norm(g.conv2d(x, 12, 3, 1, 1)));
  x = g.relu(g.batch_norm(g.conv2d(x, 20, 3, 2, 1)));
  x = g.linear(g.flatten(g.global_avg_pool(x)), 4);
  ExportOptions a;
  a.fwcs = "always";
  const ExportResult r = export_and_check(g, a, 19);
  EXPECT_EQ(r.fwcs_layers, 2);
}

TEST(ExportGraphsTest, UnsupportedStructureIsAnExportError) {
  Graph g;
  int x = g.input(4, 8, 8);
  x = g.conv2d(x, 8, 3, 1, 1, /*groups=*/2);  // grouped, not depthwise
  g.linear(g.flatten(g.global_avg_pool(x)), 2);
  GraphModule m(g);
  try {
    testing::export_in_memory(m, random_batches(g.node(0).shape));
    FAIL() << "expected ExportError";
  } catch (const ExportError& e) {
    EXPECT_NE(std::string(e.what()).find("grouped"), std::string::npos) << e.what();
  }
  Graph p;
  int y = p.input(2, 8, 8);
  y = p.avg_pool(y, 3, 1, 1);
  p.linear(p.flatten(y), 2);
  GraphModule mp(p);
  EXPECT_THROW(testing::export_in_memory(mp, random_batches(p.node(0).shape)), ExportError);
}

TEST(ExportGraphsTest, WritesBlobAndHeaderAtomically) {
  Graph g;
  int x = g.input(1, 6, 6);
  x = g.relu(g.batch_norm(g.conv2d(x, 4, 3, 1, 1)));
  g.linear(g.flatten(g.global_avg_pool(x)), 3);
  torch::manual_seed(0);
  GraphModule m(g);
  const std::string dir = tinyprune::testing::make_temp_dir("export_files");
  ExportOptions o;
  o.out = dir + "/tiny.fwcs";
  o.header_symbol = "tiny";
  const ExportResult r = export_model(m, random_batches(g.node(0).shape), o);
  EXPECT_EQ(r.blob_path, dir + "/tiny.fwcs");
  EXPECT_EQ(r.header_path, dir + "/tiny.h");
  const std::string blob = tinyprune::testing::read_text(r.blob_path);
  EXPECT_EQ(blob.size(), r.blob.size());
  EXPECT_EQ(blob.substr(0, 4), "TPRB");
  const std::string h = tinyprune::testing::read_text(r.header_path);
  EXPECT_NE(h.find("#define TINY_BLOB_SIZE " + std::to_string(r.flash_bytes) + "u"), std::string::npos);
  EXPECT_NE(h.find("#define TINY_ARENA_SIZE " + std::to_string(r.firmware_arena_bytes) + "u"), std::string::npos);
  EXPECT_NE(h.find("TPR_ALIGN16 static const unsigned char tiny_blob[TINY_BLOB_SIZE]"), std::string::npos);
}

}  // namespace
}  // namespace tinyprune
