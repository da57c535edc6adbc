#include "export/bn_folding.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "tests/export/export_test_util.h"

namespace tinyprune {
namespace {

double max_abs(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

TEST(BnFoldingTest, ConvWithBiasAndBnFoldsExactlyInFloat) {
  torch::manual_seed(0);
  Graph g;
  int x = g.input(3, 9, 9);
  const int conv = g.conv2d(x, 6, 3, 2, 1, 1, /*bias=*/true, "conv");
  g.relu(g.batch_norm(conv, "bn"), "relu");
  GraphModule m(g);
  testing::randomize_batch_norms(m);
  {
    torch::NoGradGuard ng;
    m->conv(conv)->bias.normal_();
  }
  const DeployedGraph d(m->graph());
  const int op = d.op_of(m->graph().at("relu"));
  ASSERT_TRUE(d.op(op).folded_bn);
  const FoldedLayer f = fold_deployed_op(*m, d.op(op));
  ASSERT_EQ(f.weight.sizes(), (std::vector<int64_t>{6, 3, 3, 3}));

  const torch::Tensor in = torch::randn({4, 3, 9, 9});
  const torch::Tensor want = m->forward_all(in)[static_cast<size_t>(m->graph().at("bn"))];
  const torch::Tensor got = torch::conv2d(in.to(torch::kDouble), f.weight, f.bias, {2, 2}, {1, 1});
  EXPECT_LT(max_abs(want, got), 1e-5);
}

TEST(BnFoldingTest, LinearStandaloneBnAndOutputMasks) {
  torch::manual_seed(1);
  Graph g;
  int x = g.input(4, 5, 5);
  const int pool = g.max_pool(x, 2, 2, 0, "pool");
  const int bn = g.batch_norm(pool, "bn_alone");          // after a pool: standalone
  const int conv = g.conv2d(bn, 8, 1, 1, 0, 1, false, "conv");
  const int bn2 = g.batch_norm(conv, "bn2");
  const int flat = g.flatten(g.global_avg_pool(g.relu(bn2)));
  const int fc = g.linear(flat, 3, true, "fc");
  g.batch_norm(fc, "bn_fc");                                 // folds into the linear layer
  GraphModule m(g);
  testing::randomize_batch_norms(m);
  m->set_output_mask(conv, torch::tensor({1, 0, 1, 1, 0, 1, 1, 1}, torch::kFloat));
  m->set_output_mask(bn2, torch::tensor({1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.5}, torch::kFloat));
  const DeployedGraph d(m->graph());
  const torch::Tensor in = torch::randn({3, 4, 5, 5});
  const std::vector<torch::Tensor> v = m->forward_all(in);

  const int bn_op = d.op_of(bn);
  ASSERT_EQ(d.op(bn_op).kind, OpKind::kBatchNorm);
  const FoldedLayer fb = fold_deployed_op(*m, d.op(bn_op));
  EXPECT_LT(max_abs(v[static_cast<size_t>(bn)],
                    torch::conv2d(v[static_cast<size_t>(pool)].to(torch::kDouble), fb.weight, fb.bias,
                                  /*stride=*/torch::IntArrayRef{1, 1}, /*padding=*/torch::IntArrayRef{0, 0},
                                  /*dilation=*/torch::IntArrayRef{1, 1}, /*groups=*/4)),
            1e-5);

  const FoldedLayer fc2 = fold_deployed_op(*m, d.op(d.op_of(bn2)));
  EXPECT_LT(max_abs(v[static_cast<size_t>(bn2)], torch::conv2d(v[static_cast<size_t>(bn)].to(torch::kDouble), fc2.weight, fc2.bias)),
            1e-5);
  // Masked channel 1 (conv mask) and 3 (bn2 mask) fold to exactly zero rows and bias.
  EXPECT_EQ(fc2.weight[1].abs().sum().item<double>(), 0.0);
  EXPECT_EQ(fc2.bias[3].item<double>(), 0.0);

  const FoldedLayer fl = fold_deployed_op(*m, d.op(d.op_of(m->graph().at("bn_fc"))));
  const torch::Tensor want = v[static_cast<size_t>(m->graph().at("bn_fc"))].view({3, -1});
  EXPECT_LT(max_abs(want, torch::linear(v[static_cast<size_t>(flat)].view({3, -1}).to(torch::kDouble), fl.weight, fl.bias)),
            1e-5);
}

TEST(BnFoldingTest, MaskOnAnActivationIsRejected) {
  Graph g;
  int x = g.input(2, 4, 4);
  const int r = g.relu(g.batch_norm(g.conv2d(x, 4, 3, 1, 1)), "relu");
  g.linear(g.flatten(g.global_avg_pool(r)), 2);
  GraphModule m(g);
  m->set_output_mask(r, torch::ones({4}));
  try {
    check_output_masks(*m);
    FAIL() << "expected ExportError";
  } catch (const ExportError& e) {
    EXPECT_NE(std::string(e.what()).find("\"relu\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tinyprune
