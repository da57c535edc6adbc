#include "pruners/compaction.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/models/zoo.h"
#include "core/resources/resource_model.h"
#include "tests/models/model_test_util.h"
#include "tests/pruners/pruner_test_util.h"

namespace tinyprune {
namespace {

using testing::make_spec;

// BN statistics and conv/linear biases away from their defaults, so a channel that compaction
// mixes up or a BN entry it slices wrongly shows in the output.
void randomize_batch_norms(GraphModule& model) {
  testing::randomize_batch_norms(model, /*spread=*/0.5);
  torch::NoGradGuard no_grad;
  const Graph& g = model->graph();
  for (int id = 0; id < g.size(); ++id) {
    const Node& n = g.node(id);
    if (n.kind == OpKind::kConv2d && n.bias) model->conv(id)->bias.normal_(0.0, 0.2);
    if (n.kind == OpKind::kLinear && n.bias) model->linear(id)->bias.normal_(0.0, 0.2);
  }
}

// A random channel mask (keep probability `keep`, at least one channel) on every prunable group.
void random_channel_masks(MaskSet& masks, double keep) {
  for (const ChannelGroup& g : masks.groups().groups()) {
    if (!g.prunable) continue;
    torch::Tensor m = torch::bernoulli(torch::full({g.channels}, keep));
    if (m.sum().item<double>() == 0.0) m[torch::randint(g.channels, {1}).item<int64_t>()] = 1.0;
    masks.set_channel_mask(g.id, m);
  }
}

int64_t module_params(GraphModule& m) {
  int64_t n = 0;
  for (const auto& p : m->parameters()) n += p.numel();
  return n;
}

struct Case {
  std::string model;
  double width;
};

class CompactionZooTest : public ::testing::TestWithParam<Case> {};

// The compacted model computes the masked model's function and is exactly as big as the resource
// model says the kept widths are.
TEST_P(CompactionZooTest, MatchesMaskedModelAndResourceModel) {
  const Case c = GetParam();
  torch::manual_seed(7);
  GraphModule model(build_model(make_spec(c.model, {3, 32, 32}, c.width)));
  randomize_batch_norms(model);
  model->eval();

  MaskSet masks(model->graph());
  random_channel_masks(masks, /*keep=*/0.6);
  // An unstructured mask and a filterlet mask ride along.
  const Graph& g = model->graph();
  int weighted = 0;
  for (int id = 0; id < g.size(); ++id) {
    const Node& n = g.node(id);
    if (n.kind != OpKind::kConv2d) continue;
    if (weighted == 1) masks.set_weight_mask(id, torch::bernoulli(torch::full(model->weight(id).sizes(), 0.7)));
    if (weighted == 2 && n.kernel_h == 3)
      masks.set_filterlet_mask(id, torch::bernoulli(torch::full({n.out_channels, n.kernel_h, n.kernel_w}, 0.7)));
    ++weighted;
  }
  masks.apply(model);

  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({4, 3, 32, 32});
  const torch::Tensor y_masked = model->forward(x);

  CompactionResult r = compact(model, masks);
  EXPECT_FALSE(r.model->is_training());
  const torch::Tensor y = r.model->forward(x);
  ASSERT_EQ(y.sizes(), y_masked.sizes());
  const double diff = (y - y_masked).abs().max().item<double>();
  EXPECT_LE(diff, 1e-5) << c.model;
  EXPECT_GT(y_masked.abs().max().item<double>(), 1e-2);  // not a trivially zero output

  // Widths, params, MACs, Flash and peak memory: the resource model at the kept widths.
  const std::vector<int64_t> kept = masks.kept_widths();
  EXPECT_EQ(r.widths, kept);
  const ResourceReport expected = ResourceModel(model->graph()).evaluate(kept);
  const ResourceReport actual = ResourceModel(r.model->graph()).evaluate();
  EXPECT_EQ(actual.widths, expected.widths);
  EXPECT_EQ(actual.params, expected.params);
  EXPECT_EQ(actual.macs, expected.macs);
  EXPECT_EQ(actual.model_size_bytes, expected.model_size_bytes);
  EXPECT_EQ(actual.peak_memory_bytes, expected.peak_memory_bytes);
  EXPECT_LT(actual.params, ResourceModel(model->graph()).evaluate().params);
  EXPECT_EQ(module_params(r.model), r.model->graph().param_count());

  // Node ids and names unchanged; no channel masks left, weight/filterlet masks carried.
  ASSERT_EQ(r.model->graph().size(), g.size());
  for (int id = 0; id < g.size(); ++id) EXPECT_EQ(r.model->graph().node(id).name, g.node(id).name);
  EXPECT_TRUE(r.masks.channel_masks().empty());
  EXPECT_EQ(r.masks.weight_masks().size(), masks.weight_masks().size());
  EXPECT_EQ(r.masks.filterlet_masks().size(), masks.filterlet_masks().size());
  const auto keep = kept_channels(masks);
  for (const auto& [id, m] : masks.weight_masks()) {
    const int in = g.node(id).inputs[0];
    torch::Tensor want = m.index_select(0, torch::tensor(keep[static_cast<size_t>(masks.groups().group_of(id))]));
    if (g.node(id).groups == 1)
      want = want.index_select(1, torch::tensor(keep[static_cast<size_t>(masks.groups().group_of(in))]));
    EXPECT_TRUE(torch::equal(r.masks.weight_mask(id), want)) << g.node(id).name;
    // The compacted weights are zero wherever the carried mask is.
    EXPECT_EQ((r.model->weight(id) * (1 - r.masks.weight_mask(id))).count_nonzero().item<int64_t>(), 0);
  }
  for (const auto& [id, m] : masks.filterlet_masks()) {
    const torch::Tensor want =
        m.index_select(0, torch::tensor(keep[static_cast<size_t>(masks.groups().group_of(id))]));
    EXPECT_TRUE(torch::equal(r.masks.filterlet_mask(id), want)) << g.node(id).name;
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, CompactionZooTest,
                         ::testing::Values(Case{"vgg11", 0.125}, Case{"resnet20", 0.5}, Case{"mobilenetv2", 0.25},
                                           Case{"vgg11_dtmm", 0.125}),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.model; });

// Flatten -> Linear: the linear loses whole blocks of H*W features per removed channel.
TEST(CompactionTest, FlattenLinearLosesWholeBlocks) {
  torch::manual_seed(3);
  Graph g;
  int x = g.input(2, 4, 4);
  x = g.relu(g.batch_norm(g.conv2d(x, 5, 3, 1, 1, 1, true, "conv"), "bn"), "relu");
  const int fc = g.linear(g.flatten(x), 3, true, "fc");
  GraphModule model(g);
  randomize_batch_norms(model);
  model->eval();
  MaskSet masks(model->graph());
  const int grp = masks.groups().group_of(g.at("conv"));
  masks.set_channel_mask(grp, torch::tensor({1.f, 0.f, 1.f, 0.f, 1.f}));
  masks.apply(model);
  torch::NoGradGuard no_grad;
  const torch::Tensor in = torch::randn({2, 2, 4, 4});
  const torch::Tensor y_masked = model->forward(in);
  CompactionResult r = compact(model, masks);
  EXPECT_EQ(r.model->graph().node(fc).shape.c, 3);
  EXPECT_EQ(r.model->weight(fc).sizes(), (std::vector<int64_t>{3, 3 * 16}));
  // Block 1 of the compacted linear is block 2 of the original.
  EXPECT_TRUE(torch::equal(r.model->weight(fc).narrow(1, 16, 16), model->weight(fc).narrow(1, 32, 16)));
  EXPECT_LE((r.model->forward(in) - y_masked).abs().max().item<double>(), 1e-6);
}

TEST(CompactionTest, UnmaskedModelIsCopiedUnchanged) {
  torch::manual_seed(5);
  GraphModule model(build_model(make_spec("resnet20", {3, 16, 16}, 0.25)));
  model->train();
  MaskSet masks(model->graph());
  CompactionResult r = compact(model, masks);
  EXPECT_TRUE(r.model->is_training());
  const auto a = model->named_parameters();
  const auto b = r.model->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& kv : a) EXPECT_TRUE(torch::equal(kv.value(), b[kv.key()])) << kv.key();
  for (const auto& kv : model->named_buffers()) EXPECT_TRUE(torch::equal(kv.value(), r.model->named_buffers()[kv.key()]));
}

// Building the new module must not advance the global RNG (seeded runs continue identically).
TEST(CompactionTest, DoesNotConsumeTheGlobalRng) {
  torch::manual_seed(11);
  GraphModule model(build_model(make_spec("vgg11", {3, 32, 32}, 0.125)));
  MaskSet masks(model->graph());
  random_channel_masks(masks, 0.5);
  torch::manual_seed(12);
  const torch::Tensor expected = torch::rand({8});
  torch::manual_seed(12);
  compact(model, masks);
  EXPECT_TRUE(torch::equal(torch::rand({8}), expected));
}

TEST(CompactionTest, RejectsMasksOfAnotherGraph) {
  torch::manual_seed(1);
  GraphModule model(build_model(make_spec("vgg11", {3, 32, 32}, 0.125)));
  const MaskSet wider(build_model(make_spec("vgg11", {3, 32, 32}, 0.25)));
  try {
    compact(model, wider);
    FAIL() << "expected GraphError";
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("different graph"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("features_conv0"), std::string::npos) << e.what();
  }
  const MaskSet other(build_model(make_spec("resnet20", {3, 32, 32}, 0.125)));
  EXPECT_THROW(compact(model, other), GraphError);
}

}  // namespace
}  // namespace tinyprune
