#include "core/graph.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"

namespace tinyprune {
namespace {

Graph small_residual() {
  Graph g;
  int x = g.input(3, 8, 8);
  x = g.relu(g.batch_norm(g.conv2d(x, 4, 3, 1, 1, 1, false, "stem")));
  int y = g.relu(g.batch_norm(g.conv2d(x, 4, 3, 1, 1)));
  y = g.batch_norm(g.conv2d(y, 4, 3, 1, 1));
  x = g.relu(g.add(x, y));
  x = g.linear(g.flatten(g.global_avg_pool(x)), 10);
  return g;
}

TEST(GraphTest, InfersShapesThroughConvPoolAndFlatten) {
  Graph g;
  int x = g.input(1, 28, 28);
  int c = g.conv2d(x, 8, 3, 2, 1);
  int p = g.max_pool(c, 2, 2);
  int f = g.flatten(p);
  EXPECT_EQ(g.node(c).shape, (TensorShape{8, 14, 14}));
  EXPECT_EQ(g.node(p).shape, (TensorShape{8, 7, 7}));
  EXPECT_EQ(g.node(f).shape, (TensorShape{8 * 49, 1, 1}));
}

TEST(GraphTest, CountsParameters) {
  Graph g = small_residual();
  // stem 3*4*9, conv 4*4*9 twice, 3 BN * 8, fc 4*10+10
  EXPECT_EQ(g.param_count(), 108 + 144 * 2 + 24 + 50);
}

TEST(GraphTest, ConsumersAndNames) {
  Graph g = small_residual();
  const int stem = g.at("stem");
  EXPECT_EQ(g.consumers(stem).size(), 1u);
  EXPECT_EQ(g.node(g.output()).kind, OpKind::kLinear);
  EXPECT_EQ(g.find("nope"), -1);
}

TEST(GraphTest, RejectsMismatchedAdd) {
  Graph g;
  int x = g.input(3, 8, 8);
  int a = g.conv2d(x, 4, 3, 1, 1);
  int b = g.conv2d(x, 5, 3, 1, 1);
  try {
    g.add(a, b, "join");
    FAIL() << "expected GraphError";
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("join"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("shapes differ"), std::string::npos);
  }
}

TEST(GraphTest, RejectsInputTooSmallForStrides) {
  Graph g;
  int x = g.input(1, 2, 2);
  x = g.max_pool(x, 2, 2);
  EXPECT_THROW(g.max_pool(x, 2, 2), GraphError);
}

TEST(GraphTest, YamlRoundTripKeepsStructure) {
  Graph g = small_residual();
  Graph h = Graph::from_yaml(YAML::Load(g.to_yaml()), "mem");
  ASSERT_EQ(h.size(), g.size());
  for (int i = 0; i < g.size(); ++i) {
    EXPECT_EQ(h.node(i).name, g.node(i).name);
    EXPECT_EQ(h.node(i).kind, g.node(i).kind);
    EXPECT_EQ(h.node(i).inputs, g.node(i).inputs);
    EXPECT_EQ(h.node(i).shape, g.node(i).shape);
  }
  EXPECT_EQ(h.param_count(), g.param_count());
}

}  // namespace
}  // namespace tinyprune
