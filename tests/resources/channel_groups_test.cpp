#include "core/resources/channel_groups.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "tests/resources/test_graphs.h"

namespace tinyprune {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ResourceError& e) {
    return e.what();
  }
  return "<no ResourceError>";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ChannelGroupsTest, ResidualAddTiesBothSummandsProducers) {
  Graph g;
  int x = g.input(3, 8, 8);
  int stem = g.conv2d(x, 8, 3, 1, 1, 1, false, "stem");
  int a = g.relu(g.batch_norm(stem));
  int c1 = g.conv2d(a, 4, 3, 1, 1, 1, false, "c1");
  int b1 = g.relu(g.batch_norm(c1));
  int c2 = g.conv2d(b1, 8, 3, 1, 1, 1, false, "c2");
  int s = g.add(a, g.batch_norm(c2), "add");
  int r = g.relu(s);
  int fc = g.linear(g.flatten(g.global_avg_pool(r)), 10, true, "fc");
  ChannelGroups groups(g);
  ASSERT_EQ(groups.size(), 4);  // input, {stem, c2, add}, {c1}, {fc}
  const int res = groups.group_of(stem);
  EXPECT_EQ(groups.group_of(c2), res);
  EXPECT_EQ(groups.group_of(s), res);
  EXPECT_EQ(groups.group_of(r), res);
  const ChannelGroup& grp = groups.group(res);
  EXPECT_EQ(grp.name, "stem");
  EXPECT_EQ(grp.channels, 8);
  EXPECT_TRUE(grp.prunable);
  EXPECT_EQ(grp.producers, (std::vector<int>{stem, c2}));
  // Consumers whose input channels the group determines: c1 and the classifier.
  ASSERT_EQ(grp.consumers.size(), 2u);
  EXPECT_EQ(grp.consumers[0].node, c1);
  EXPECT_EQ(grp.consumers[1].node, fc);
  EXPECT_EQ(grp.consumers[1].block, 1);  // flatten of a 1x1 global pool
  EXPECT_NE(groups.group_of(c1), res);
  EXPECT_TRUE(groups.group(groups.group_of(c1)).prunable);
  // Input and logits are fixed.
  EXPECT_FALSE(groups.group(groups.group_of(x)).prunable);
  EXPECT_TRUE(has(groups.group(groups.group_of(x)).fixed_reason, "input"));
  const ChannelGroup& out = groups.group(groups.group_of(fc));
  EXPECT_FALSE(out.prunable);
  EXPECT_TRUE(has(out.fixed_reason, "network output"));
  EXPECT_EQ(groups.find("c1"), groups.group_of(c1));
}

TEST(ChannelGroupsTest, DepthwiseConvTiesInputAndOutput) {
  Graph g;
  int x = g.input(8, 8, 8);
  int e = g.conv2d(x, 24, 1, 1, 0, 1, false, "expand");
  int a = g.relu6(g.batch_norm(e));
  int dw = g.conv2d(a, 24, 3, 1, 1, /*groups=*/24, false, "dw");
  int b = g.relu6(g.batch_norm(dw));
  int p = g.conv2d(b, 8, 1, 1, 0, 1, false, "project");
  g.linear(g.flatten(g.global_avg_pool(p)), 2);
  ChannelGroups groups(g);
  const ChannelGroup& grp = groups.group(groups.group_of(e));
  EXPECT_EQ(groups.group_of(dw), grp.id);
  EXPECT_EQ(grp.producers, (std::vector<int>{e}));  // the depthwise conv is a member, not a producer
  EXPECT_NE(std::find(grp.members.begin(), grp.members.end(), dw), grp.members.end());
  ASSERT_EQ(grp.consumers.size(), 1u);
  EXPECT_EQ(grp.consumers[0].node, p);
  EXPECT_TRUE(grp.prunable);
}

TEST(ChannelGroupsTest, FlattenLinearConsumesBlocksOfHW) {
  Graph g;
  int x = g.input(3, 8, 8);
  int c = g.relu(g.conv2d(x, 6, 3, 1, 1, 1, false, "conv"));
  int p = g.max_pool(c, 2, 2);
  int f = g.flatten(p);
  int fc = g.linear(f, 5, true, "fc");
  ChannelGroups groups(g);
  const ChannelGroup& grp = groups.group(groups.group_of(c));
  EXPECT_EQ(groups.group_of(f), grp.id);
  EXPECT_EQ(groups.channel_multiplier(f), 16);
  ASSERT_EQ(grp.consumers.size(), 1u);
  EXPECT_EQ(grp.consumers[0].node, fc);
  EXPECT_EQ(grp.consumers[0].input, f);
  EXPECT_EQ(grp.consumers[0].block, 16);
  std::vector<int64_t> w = groups.original_widths();
  w[static_cast<size_t>(grp.id)] = 2;
  EXPECT_EQ(groups.channels(f, w), 32);
}

TEST(ChannelGroupsTest, GroupedConvFixesItsGroups) {
  Graph g;
  int x = g.input(3, 8, 8);
  int a = g.conv2d(x, 8, 1, 1, 0, 1, false, "a");
  int b = g.conv2d(a, 8, 3, 1, 1, /*groups=*/2, false, "grouped");
  g.linear(g.flatten(g.global_avg_pool(g.conv2d(b, 4, 1))), 3);
  ChannelGroups groups(g);
  EXPECT_FALSE(groups.group(groups.group_of(a)).prunable);
  EXPECT_TRUE(has(groups.group(groups.group_of(a)).fixed_reason, "grouped conv \"grouped\""));
  EXPECT_FALSE(groups.group(groups.group_of(b)).prunable);
}

TEST(ChannelGroupsTest, ResNet18Groups) {
  const Graph g = testgraphs::resnet18_cifar();
  ChannelGroups groups(g);
  // input + 4 residual streams + 8 inner block groups + fc.
  EXPECT_EQ(groups.size(), 14);
  EXPECT_EQ(groups.group_of(g.at("stem")), groups.group_of(g.at("l1_1_conv2")));
  EXPECT_EQ(groups.group_of(g.at("l2_0_down")), groups.group_of(g.at("l2_1_conv2")));
  EXPECT_NE(groups.group_of(g.at("l2_0_down")), groups.group_of(g.at("stem")));
}

TEST(ChannelGroupsTest, BadWidthsNameTheGroupAndValue) {
  const Graph g = testgraphs::resnet18_cifar();
  ChannelGroups groups(g);
  const int gid = groups.group_of(g.at("l1_0_conv1"));
  std::vector<int64_t> w = groups.original_widths();
  w[static_cast<size_t>(gid)] = 0;
  std::string msg = error_of([&] { groups.validate_widths(w); });
  EXPECT_TRUE(has(msg, "\"l1_0_conv1\"") && has(msg, "width 0") && has(msg, "[1, 64]")) << msg;
  w[static_cast<size_t>(gid)] = 65;
  msg = error_of([&] { groups.validate_widths(w); });
  EXPECT_TRUE(has(msg, "width 65")) << msg;
  w = groups.original_widths();
  w.back() = 5;
  msg = error_of([&] { groups.validate_widths(w); });
  EXPECT_TRUE(has(msg, "\"fc\"") && has(msg, "not prunable") && has(msg, "got 5")) << msg;
  msg = error_of([&] { groups.validate_widths({1, 2}); });
  EXPECT_TRUE(has(msg, "14 groups")) << msg;

  std::vector<double> pi = groups.unit_multipliers();
  pi[static_cast<size_t>(gid)] = 0.0;
  msg = error_of([&] { groups.widths_from_multipliers(pi); });
  EXPECT_TRUE(has(msg, "\"l1_0_conv1\"") && has(msg, "multiplier 0 ")) << msg;
  pi[static_cast<size_t>(gid)] = 1.5;
  EXPECT_TRUE(has(error_of([&] { groups.widths_from_multipliers(pi); }), "1.5 is out of range (0, 1]"));
  pi[static_cast<size_t>(gid)] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(has(error_of([&] { groups.widths_from_multipliers(pi); }), "out of range"));
  pi[static_cast<size_t>(gid)] = 0.7;
  EXPECT_EQ(groups.widths_from_multipliers(pi)[static_cast<size_t>(gid)], 44);  // floor(44.8)
  pi[static_cast<size_t>(gid)] = 0.001;
  EXPECT_EQ(groups.widths_from_multipliers(pi)[static_cast<size_t>(gid)], 1);  // max(1, 0)
}

TEST(ChannelGroupsTest, MultiplierFlooringAbsorbsFloatNoise) {
  Graph g;
  int x = g.input(3, 4, 4);
  int c = g.conv2d(x, 10, 1);
  g.linear(g.flatten(g.global_avg_pool(c)), 2);
  ChannelGroups groups(g);
  std::vector<double> pi = groups.unit_multipliers();
  pi[static_cast<size_t>(groups.group_of(c))] = 0.7;  // 0.7*10 = 6.999999999999999
  EXPECT_EQ(groups.widths_from_multipliers(pi)[static_cast<size_t>(groups.group_of(c))], 7);
}

}  // namespace
}  // namespace tinyprune
