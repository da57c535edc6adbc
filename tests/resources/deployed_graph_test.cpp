#include "core/resources/deployed_graph.h"

#include <gtest/gtest.h>

namespace tinyprune {
namespace {

std::vector<std::string> op_names(const Graph& g, const DeployedGraph& d) {
  std::vector<std::string> out;
  for (const DeployedOp& op : d.ops()) out.push_back(op.name);
  (void)g;
  return out;
}

TEST(DeployedGraphTest, FoldsBnFusesReluAndAliasesFlattenDropout) {
  Graph g;
  int x = g.input(3, 8, 8);
  int c = g.conv2d(x, 4, 3, 1, 1, 1, false, "conv");
  int bn = g.batch_norm(c, "bn");
  int r = g.relu(bn, "relu");
  int p = g.max_pool(r, 2, 2, 0, "pool");
  int f = g.flatten(p, "flat");
  int dr = g.dropout(f, 0.5, "drop");
  int fc = g.linear(dr, 10, true, "fc");
  DeployedGraph d(g);
  EXPECT_EQ(op_names(g, d), (std::vector<std::string>{"input", "conv", "pool", "fc"}));
  const DeployedOp& conv = d.op(1);
  EXPECT_EQ(conv.nodes, (std::vector<int>{c, bn, r}));
  EXPECT_TRUE(conv.folded_bn);
  EXPECT_EQ(conv.activation, OpKind::kReLU);
  EXPECT_EQ(conv.output_node, r);
  EXPECT_EQ(d.op_of(bn), 1);
  EXPECT_EQ(d.op_of(f), 2);
  EXPECT_EQ(d.op_of(dr), 2);
  EXPECT_EQ(d.op(2).aliases, (std::vector<int>{f, dr}));
  EXPECT_EQ(d.op(3).inputs, (std::vector<int>{2}));
  EXPECT_EQ(d.output(), d.op_of(fc));
  EXPECT_EQ(d.consumers(2), (std::vector<int>{3}));
}

TEST(DeployedGraphTest, NoFusionWhenTheValueHasOtherReaders) {
  Graph g;
  int x = g.input(4, 8, 8);
  int c = g.conv2d(x, 4, 1, 1, 0, 1, false, "conv");
  int bn = g.batch_norm(c, "bn");        // conv's value is also read by the add: BN stays
  int s = g.add(bn, c, "add");
  int r = g.relu(s, "relu");             // fuses into the add
  int m = g.max_pool(r, 2, 2, 0, "pool");
  int r2 = g.relu6(m, "relu_after_pool");  // pools do not fuse activations
  DeployedGraph d(g);
  EXPECT_EQ(op_names(g, d), (std::vector<std::string>{"input", "conv", "bn", "add", "pool", "relu_after_pool"}));
  EXPECT_EQ(d.op(d.op_of(bn)).kind, OpKind::kBatchNorm);
  EXPECT_EQ(d.op_of(r), d.op_of(s));
  EXPECT_EQ(d.op(d.op_of(s)).activation, OpKind::kReLU);
  EXPECT_EQ(d.op(d.op_of(s)).inputs, (std::vector<int>{d.op_of(bn), d.op_of(c)}));
  EXPECT_EQ(d.op_of(r2), d.output());
}

TEST(DeployedGraphTest, FusionLooksThroughDropoutAndKeepsTheOutputMaterialised) {
  Graph g;
  int x = g.input(4, 4, 4);
  int c = g.conv2d(x, 4, 1, 1, 0, 1, false, "conv");
  int dr = g.dropout(c, 0.1, "drop");
  int bn = g.batch_norm(dr, "bn");
  DeployedGraph d(g);
  EXPECT_EQ(d.size(), 2);
  EXPECT_EQ(d.op_of(bn), 1);
  EXPECT_EQ(d.op(1).nodes, (std::vector<int>{c, bn}));

  // A conv that is itself the network output keeps its value: the BN after it is dead code.
  Graph h;
  x = h.input(4, 4, 4);
  c = h.conv2d(x, 4, 1, 1, 0, 1, false, "conv");
  bn = h.batch_norm(c, "bn");
  h.set_output(c);
  DeployedGraph e(h);
  EXPECT_EQ(e.size(), 2);
  EXPECT_EQ(e.op_of(bn), -1);
  EXPECT_EQ(e.dropped_nodes(), (std::vector<int>{bn}));
}

TEST(DeployedGraphTest, ActivationBeforeBnKeepsBnStandalone) {
  Graph g;
  int x = g.input(4, 4, 4);
  int c = g.conv2d(x, 4, 1, 1, 0, 1, false, "conv");
  int r = g.relu(c, "relu");
  int bn = g.batch_norm(r, "bn");
  DeployedGraph d(g);
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.op_of(r), 1);
  EXPECT_EQ(d.op(d.op_of(bn)).kind, OpKind::kBatchNorm);
}

}  // namespace
}  // namespace tinyprune
