#include "pruners/structural.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "core/models/zoo.h"
#include "tests/models/model_test_util.h"
#include "tests/pruners/pruner_test_util.h"

namespace tinyprune {
namespace {

using testing::make_spec;
using torch::indexing::Slice;

void randomize_batch_norms(GraphModule& model) { testing::randomize_batch_norms(model, /*spread=*/0.3); }

// Filter `c` of conv `id` is zero; its BN (if `bn` >= 0) turns the constant conv output into
// `beta` (mean 0, var 1 - eps, gamma 1), so the channel carries the non-zero constant relu(bias + beta).
void zero_filter(GraphModule& m, int id, int64_t c, int bn = -1, double beta = 0.0, double bias = 0.0) {
  torch::NoGradGuard no_grad;
  m->weight(id)[c].zero_();
  if (m->graph().node(id).bias) m->conv(id)->bias[c].fill_(bias);
  if (bn >= 0) {
    auto& b = m->batch_norm(bn);
    b->weight[c].fill_(1.0);
    b->bias[c].fill_(beta);
    b->running_mean[c].fill_(0.0);
    b->running_var[c].fill_(1.0 - m->graph().node(bn).eps);
  }
}

// Consumer `id` reads input channel c through its kernel centre only: a 3x3 pad-1 conv's centre
// tap never reads the zero padding, so folding a constant channel is exact for it.
void centre_only(GraphModule& m, int id, int64_t c) {
  torch::NoGradGuard no_grad;
  torch::Tensor w = m->weight(id);
  const int64_t kh = w.size(2) / 2, kw = w.size(3) / 2;
  const torch::Tensor centre = w.index({Slice(), c, kh, kw}).clone();
  w.index_put_({Slice(), c}, 0.0);
  w.index_put_({Slice(), c, kh, kw}, centre);
}

const GroupRemoval& removal(const StructuralResult& r, const std::string& group) {
  for (const GroupRemoval& g : r.groups)
    if (g.name == group) return g;
  throw Error("no group " + group);
}

double max_diff(GraphModule& a, GraphModule& b, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  a->eval();
  b->eval();
  return (a->forward(x) - b->forward(x)).abs().max().item<double>();
}

StructuralOptions mode(StructuralMode m) {
  StructuralOptions o;
  o.mode = m;
  return o;
}

// VGG: zero filters whose channel is a non-zero constant (bias + BN beta) are folded into the
// next conv's bias; with the consumer reading them through its centre tap only (no padding
// involved) exact mode reproduces the sparse model, legacy mode does not.
TEST(StructuralTest, VggExactFoldMatchesSparseModelLegacyDoesNot) {
  torch::manual_seed(0);
  GraphModule m(build_model(make_spec("vgg11", {3, 32, 32}, 0.125)));
  randomize_batch_norms(m);
  m->eval();
  const Graph& g = m->graph();
  const int conv1 = g.at("features_conv1"), bn1 = g.at("features_bn1"), conv2 = g.at("features_conv2");
  for (int64_t c : {0, 3}) {
    zero_filter(m, conv1, c, bn1, /*beta=*/0.5, /*bias=*/0.3);
    centre_only(m, conv2, c);
  }
  std::vector<torch::Tensor> before;
  for (const auto& p : m->parameters()) before.push_back(p.detach().clone());

  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({4, 3, 32, 32});
  const torch::Tensor y_sparse = m->forward(x);

  StructuralResult exact = structural_convert(m, mode(StructuralMode::kExact), x);
  EXPECT_EQ(removal(exact, "features_conv1").removed, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(removal(exact, "features_conv1").folded, 2);
  EXPECT_EQ(exact.channels_removed, 2);
  EXPECT_EQ(exact.model->graph().node(conv1).out_channels, 14);
  EXPECT_EQ(exact.params_before - exact.params_after, 2 * (8 * 9 + 1) + 2 * 2 + 2 * 32 * 9);
  EXPECT_LE(exact.max_abs_diff, 1e-5);
  exact.model->eval();
  EXPECT_LE((exact.model->forward(x) - y_sparse).abs().max().item<double>(), 1e-5);

  StructuralResult legacy = structural_convert(m, mode(StructuralMode::kLegacy), x);
  EXPECT_EQ(removal(legacy, "features_conv1").removed, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(removal(legacy, "features_conv1").folded, 0);
  EXPECT_GT(legacy.max_abs_diff, 1e-3);
  EXPECT_EQ(legacy.params_after, exact.params_after);

  // The sparse model is left as it was.
  const auto after = m->parameters();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(after[i], before[i]));
}

// ResNet-20, stage 1: its residual group (stem + every block's conv2 + the adds) loses a channel
// only when the filter is zero in every producer; the constant then flows through the adds and
// is folded into the BNs behind the bias-free consumers (running_mean).
TEST(StructuralTest, ResnetResidualGroupOnlyWhereRemovableInEveryMember) {
  torch::manual_seed(1);
  GraphModule m(build_model(make_spec("resnet20", {3, 16, 16}, 0.5)));
  randomize_batch_norms(m);
  m->eval();
  const Graph& g = m->graph();
  const ChannelGroups groups(g);
  const ChannelGroup& res = groups.group(groups.group_of(g.at("stem_conv")));
  ASSERT_EQ(res.producers.size(), 4u);  // stem, layer1_{0,1,2}_conv2
  ASSERT_EQ(res.consumers.size(), 5u);  // layer1_{0,1,2}_conv1, layer2_0_conv1, layer2_0_shortcut_conv
  auto bn_after = [&](int conv) { return g.consumers(conv).at(0); };
  // Channel 2: zero in every producer -> removable. Channel 5: zero in two of four -> kept.
  for (int p : res.producers) zero_filter(m, p, 2, bn_after(p), /*beta=*/0.4);
  zero_filter(m, res.producers[0], 5, bn_after(res.producers[0]), 0.4);
  zero_filter(m, res.producers[1], 5, bn_after(res.producers[1]), 0.4);
  for (const GroupConsumer& c : res.consumers) centre_only(m, c.node, 2);

  const torch::Tensor x = torch::randn({3, 3, 16, 16});
  StructuralResult exact = structural_convert(m, mode(StructuralMode::kExact), x);
  EXPECT_EQ(removal(exact, res.name).removed, (std::vector<int64_t>{2}));
  EXPECT_EQ(removal(exact, res.name).folded, 1);
  EXPECT_EQ(exact.channels_removed, 1);
  for (int p : res.producers) EXPECT_EQ(exact.model->graph().node(p).out_channels, 7) << g.node(p).name;
  EXPECT_LE(exact.max_abs_diff, 1e-5);
  EXPECT_LE(max_diff(m, exact.model, x), 1e-5);
  // Channel 5 survives, with the zero filters of stem_conv and layer1_0_conv2 (now at index 4).
  EXPECT_EQ(exact.model->weight(res.producers[0])[4].count_nonzero().item<int64_t>(), 0);
  EXPECT_GT(exact.model->weight(res.producers[2])[4].count_nonzero().item<int64_t>(), 0);

  StructuralResult legacy = structural_convert(m, mode(StructuralMode::kLegacy), x);
  EXPECT_EQ(removal(legacy, res.name).removed, (std::vector<int64_t>{2}));
  EXPECT_GT(legacy.max_abs_diff, 1e-3);
}

// Removing a dead channel zeroes its producer row, which can leave an input channel of that
// producer unread: the rules run to a fixpoint.
TEST(StructuralTest, FixpointRemovesChannelsExposedByEarlierRemovals) {
  torch::manual_seed(2);
  GraphModule m(build_model(make_spec("vgg11", {3, 32, 32}, 0.125)));
  randomize_batch_norms(m);
  m->eval();
  const Graph& g = m->graph();
  const int conv2 = g.at("features_conv2"), conv3 = g.at("features_conv3");
  {
    torch::NoGradGuard no_grad;
    m->weight(conv3).index_put_({Slice(), 4}, 0.0);  // conv2's channel 4: read by nobody
    torch::Tensor w2 = m->weight(conv2);              // conv1's channel 6: read by conv2 row 4 only
    const torch::Tensor row4 = w2.index({4, 6}).clone();
    w2.index_put_({Slice(), 6}, 0.0);
    w2.index_put_({4, 6}, row4);
  }
  const torch::Tensor x = torch::randn({2, 3, 32, 32});
  for (StructuralMode md : {StructuralMode::kExact, StructuralMode::kLegacy}) {
    StructuralResult r = structural_convert(m, mode(md), x);
    EXPECT_EQ(removal(r, "features_conv2").removed, (std::vector<int64_t>{4}));
    EXPECT_EQ(removal(r, "features_conv1").removed, (std::vector<int64_t>{6}));
    EXPECT_EQ(r.rounds, 2);  // conv1's group comes first; its channel dies only in the second pass
    EXPECT_EQ(removal(r, "features_conv1").folded, 0);  // dead inputs need no fold: exact in both modes
    EXPECT_LE(r.max_abs_diff, 1e-5);
  }
}

bool any_zero_row(const torch::Tensor& w) { return !(w != 0).flatten(1).any(1).all().item<bool>(); }
bool any_zero_column(const torch::Tensor& w) { return !(w != 0).transpose(0, 1).flatten(1).any(1).all().item<bool>(); }

// IMP-like sparsity (unstructured + whole dead filters): afterwards no conv outside a residual
// group has an all-zero filter (legacy) or an unread input channel; exact mode stays exact.
TEST(StructuralTest, NoZeroFilterOrDeadInputLeft) {
  for (const std::string name : {"vgg11", "resnet20"}) {
    torch::manual_seed(3);
    GraphModule m(build_model(make_spec(name, {3, 16, 16}, 0.5)));
    randomize_batch_norms(m);
    m->eval();
    const Graph& g = m->graph();
    MaskSet masks(g);
    for (int id = 0; id < g.size(); ++id) {
      if (g.node(id).kind != OpKind::kConv2d) continue;
      torch::Tensor mask = torch::bernoulli(torch::full(m->weight(id).sizes(), 0.15));
      mask.masked_fill_(torch::rand({mask.size(0), 1, 1, 1}).lt(0.25).expand_as(mask), 0.0);  // dead filters
      masks.set_weight_mask(id, mask);
    }
    masks.apply(m);
    const torch::Tensor x = torch::randn({2, 3, 16, 16});
    // Exact mode removes what it can fold without error; legacy drops every zero filter.
    StructuralResult exact = structural_convert(m, mode(StructuralMode::kExact), x, &masks);
    EXPECT_GT(exact.channels_removed, 0) << name;
    EXPECT_LE(exact.max_abs_diff, 1e-4) << name;
    EXPECT_EQ(structural_convert(exact.model, mode(StructuralMode::kExact), x).channels_removed, 0) << name;
    StructuralResult r = structural_convert(m, mode(StructuralMode::kLegacy), x, &masks);
    EXPECT_GE(r.channels_removed, exact.channels_removed) << name;
    EXPECT_LT(r.params_after, r.params_before) << name;
    EXPECT_LE(r.nonzero_weights_after, r.nonzero_weights_before) << name;
    EXPECT_TRUE(std::isfinite(r.max_abs_diff)) << name;
    EXPECT_EQ(r.masks.weight_masks().size(), masks.weight_masks().size()) << name;
    const Graph& out = r.model->graph();
    const ChannelGroups groups(out);
    for (int id = 0; id < out.size(); ++id) {
      if (out.node(id).kind != OpKind::kConv2d) continue;
      const ChannelGroup& own = groups.group(groups.group_of(id));
      if (own.producers.size() == 1) EXPECT_FALSE(any_zero_row(r.model->weight(id))) << name << " " << out.node(id).name;
      const ChannelGroup& in = groups.group(groups.group_of(out.node(id).inputs[0]));
      if (in.prunable && in.producers.size() == 1)
        EXPECT_FALSE(any_zero_column(r.model->weight(id))) << name << " " << out.node(id).name;
    }
    // Converting again finds nothing more (the fixpoint was reached).
    StructuralResult again = structural_convert(r.model, mode(StructuralMode::kLegacy), x);
    EXPECT_EQ(again.channels_removed, 0) << name;
  }
}

// A constant channel read through a padded 3x3 conv's border taps: folding it would be wrong at
// the image border, so exact mode keeps it (per-channel fallback) unless its constant is 0 (cut
// by ReLU) or fold_tolerance admits the error; legacy drops it either way.
TEST(StructuralTest, ExactFoldsIntoPaddedConsumersOnlyWhenTheBorderErrorIsWithinTolerance) {
  torch::manual_seed(8);
  GraphModule m(build_model(make_spec("vgg11", {3, 16, 16}, 0.125)));
  randomize_batch_norms(m);
  m->eval();
  const Graph& g = m->graph();
  const int conv1 = g.at("features_conv1"), bn1 = g.at("features_bn1");
  zero_filter(m, conv1, 2, bn1, /*beta=*/0.6);   // constant relu(0.6) = 0.6, full 3x3 consumer
  zero_filter(m, conv1, 5, bn1, /*beta=*/-0.4);  // constant relu(-0.4) = 0: exact everywhere
  const torch::Tensor x = torch::randn({3, 3, 16, 16});

  StructuralResult exact = structural_convert(m, mode(StructuralMode::kExact), x);
  EXPECT_EQ(removal(exact, "features_conv1").removed, (std::vector<int64_t>{5}));
  EXPECT_LE(exact.max_abs_diff, 1e-5);
  EXPECT_LE(max_diff(m, exact.model, x), 1e-5);

  // The bound for channel 2 is 0.6 * max_o sum |W[o, 2, border taps]| (every tap of a 3x3 pad-1
  // conv on 16x16 except the centre reaches the padding).
  torch::Tensor w = m->weight(g.at("features_conv2")).detach().to(torch::kDouble).abs().index({Slice(), 2});
  w.index_put_({Slice(), 1, 1}, 0.0);
  const double bound = 0.6 * w.sum({1, 2}).max().item<double>();
  StructuralOptions tight = mode(StructuralMode::kExact);
  tight.fold_tolerance = 0.99 * bound;
  EXPECT_EQ(removal(structural_convert(m, tight, x), "features_conv1").removed, (std::vector<int64_t>{5}));
  StructuralOptions loose = mode(StructuralMode::kExact);
  loose.fold_tolerance = 1.01 * bound;
  const StructuralResult approx = structural_convert(m, loose, x);
  EXPECT_EQ(removal(approx, "features_conv1").removed, (std::vector<int64_t>{2, 5}));
  EXPECT_GT(approx.max_abs_diff, 1e-6);

  const StructuralResult legacy = structural_convert(m, mode(StructuralMode::kLegacy), x);
  EXPECT_EQ(removal(legacy, "features_conv1").removed, (std::vector<int64_t>{2, 5}));
  EXPECT_GT(legacy.max_abs_diff, approx.max_abs_diff);
}

// A constant channel read by a conv that has neither a bias nor a BN behind it cannot be folded:
// exact mode keeps it, legacy mode drops it (and changes the output).
TEST(StructuralTest, ExactKeepsConstantChannelsItCannotFold) {
  torch::manual_seed(4);
  Graph g;
  int x = g.input(3, 6, 6);
  const int a = g.conv2d(x, 4, 1, 1, 0, 1, /*bias=*/true, "a");
  x = g.conv2d(g.relu(a), 5, 1, 1, 0, 1, /*bias=*/false, "b");
  g.linear(g.flatten(g.global_avg_pool(g.relu(x))), 3, true, "fc");
  GraphModule m(g);
  zero_filter(m, a, 1, -1, 0.0, /*bias=*/0.5);
  const torch::Tensor in = torch::randn({2, 3, 6, 6});
  StructuralResult exact = structural_convert(m, mode(StructuralMode::kExact), in);
  EXPECT_TRUE(removal(exact, "a").removed.empty());
  EXPECT_EQ(exact.max_abs_diff, 0.0);
  StructuralResult legacy = structural_convert(m, mode(StructuralMode::kLegacy), in);
  EXPECT_EQ(removal(legacy, "a").removed, (std::vector<int64_t>{1}));
  EXPECT_GT(legacy.max_abs_diff, 1e-4);
}

// Flatten -> Linear: a constant channel's whole block of features folds into the linear's bias
// (no padding involved: exact).
TEST(StructuralTest, FoldsWholeFlattenBlocksIntoLinearBias) {
  torch::manual_seed(5);
  Graph g;
  int x = g.input(2, 4, 4);
  const int conv = g.conv2d(x, 5, 3, 1, 1, 1, true, "conv");
  const int bn = g.batch_norm(conv, "bn");
  g.linear(g.flatten(g.max_pool(g.relu(bn), 2, 2)), 3, true, "fc");
  GraphModule m(g);
  randomize_batch_norms(m);
  m->eval();
  zero_filter(m, conv, 2, bn, /*beta=*/0.7, /*bias=*/-0.1);
  const torch::Tensor in = torch::randn({3, 2, 4, 4});
  StructuralResult exact = structural_convert(m, mode(StructuralMode::kExact), in);
  EXPECT_EQ(removal(exact, "conv").removed, (std::vector<int64_t>{2}));
  EXPECT_EQ(exact.model->weight(g.at("fc")).size(1), 4 * 4);
  EXPECT_LE(exact.max_abs_diff, 1e-6);
  StructuralResult legacy = structural_convert(m, mode(StructuralMode::kLegacy), in);
  EXPECT_GT(legacy.max_abs_diff, 1e-3);
}

// MobileNetV2: a zero depthwise filter makes its channel constant (exact: the 1x1 project conv
// has no padding); a zero expand filter makes the depthwise input constant, which the depthwise
// conv's zero padding distorts at the borders: exact mode keeps that channel unless a
// fold_tolerance admits the border error.
TEST(StructuralTest, DepthwiseMembersMakeChannelsConstant) {
  torch::manual_seed(7);
  GraphModule m(build_model(make_spec("mobilenetv2", {3, 16, 16}, 0.25)));
  randomize_batch_norms(m);
  m->eval();
  const Graph& g = m->graph();
  const int expand = g.at("block2_expand_conv"), dw = g.at("block2_dw_conv");
  const torch::Tensor x = torch::randn({2, 3, 16, 16});
  zero_filter(m, dw, 1, g.at("block2_dw_bn"), /*beta=*/0.3);
  StructuralResult r = structural_convert(m, mode(StructuralMode::kExact), x);
  EXPECT_EQ(removal(r, "block2_expand_conv").removed, (std::vector<int64_t>{1}));
  EXPECT_EQ(r.model->graph().node(dw).groups, g.node(dw).groups - 1);
  EXPECT_EQ(r.model->graph().node(expand).out_channels, g.node(expand).out_channels - 1);
  EXPECT_LE(r.max_abs_diff, 1e-5);

  zero_filter(m, expand, 4, g.at("block2_expand_bn"), /*beta=*/0.2);
  {
    // The depthwise BN keeps channel 4 inside ReLU6's linear range, so the border error shows.
    torch::NoGradGuard no_grad;
    auto& bn = m->batch_norm(g.at("block2_dw_bn"));
    bn->weight[4].fill_(1.0);
    bn->bias[4].fill_(2.0);
    bn->running_mean[4].fill_(0.0);
    bn->running_var[4].fill_(1.0);
  }
  // Exact (default tolerance 0): channel 4 is not constant at the depthwise output's padded
  // borders, so it stays and the conversion is exact.
  r = structural_convert(m, mode(StructuralMode::kExact), x);
  EXPECT_EQ(removal(r, "block2_expand_conv").removed, (std::vector<int64_t>{1}));
  EXPECT_LE(r.max_abs_diff, 1e-5);
  // A tolerance admits the approximate fold through the padded depthwise conv.
  StructuralOptions loose = mode(StructuralMode::kExact);
  loose.fold_tolerance = 1e9;
  r = structural_convert(m, loose, x);
  EXPECT_EQ(removal(r, "block2_expand_conv").removed, (std::vector<int64_t>{1, 4}));
  const StructuralResult legacy = structural_convert(m, mode(StructuralMode::kLegacy), x);
  // Compare the block's output (the logits barely move in this random network).
  const int out = g.at("block2_project_bn");
  auto block_diff = [&](GraphModule converted) {
    torch::NoGradGuard no_grad;
    converted->eval();
    return (m->forward_all(x)[static_cast<size_t>(out)] - converted->forward_all(x)[static_cast<size_t>(out)])
        .abs();
  };
  const torch::Tensor exact_diff = block_diff(r.model), legacy_diff = block_diff(legacy.model);
  // Exact: right in the interior, off only on the border rows/columns the depthwise conv pads.
  EXPECT_LE(exact_diff.index({Slice(), Slice(), Slice(1, -1), Slice(1, -1)}).max().item<double>(), 1e-5);
  EXPECT_GT(exact_diff.max().item<double>(), 1e-3);
  EXPECT_GT(legacy_diff.index({Slice(), Slice(), Slice(1, -1), Slice(1, -1)}).max().item<double>(), 1e-2);
}

TEST(StructuralTest, RejectsUncompactedOutputMasksAndUnknownModes) {
  torch::manual_seed(6);
  GraphModule m(build_model(make_spec("vgg11", {3, 16, 16}, 0.125)));
  m->set_output_mask(m->graph().at("features_bn1"), torch::ones({16}));
  try {
    structural_convert(m);
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("features_bn1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(structural_mode_from_name("legacy"), StructuralMode::kLegacy);
  EXPECT_EQ(structural_mode_from_name("exact"), StructuralMode::kExact);
  try {
    structural_mode_from_name("exakt");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("known: exact, legacy"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tinyprune
