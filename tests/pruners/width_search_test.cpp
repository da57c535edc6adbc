#include "pruners/width_search.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "core/config_node.h"
#include "core/error.h"
#include "core/models/zoo.h"
#include "tests/models/model_test_util.h"

namespace tinyprune {
namespace {

TEST(WidthSearchTest, SmallestRatioThatFitsTheBudget) {
  const Graph g = build_model(testing::make_spec("resnet20", {1, 16, 16}, 0.5, 10));
  ResourceModel rm(g);
  const ResourceReport full = rm.evaluate();
  Budget b;
  b.model_size_bytes = 0.5 * static_cast<double>(full.model_size_bytes);
  b.peak_memory_bytes = 0.8 * static_cast<double>(full.peak_memory_bytes);
  const double r = ratio_for_budget(rm, b);
  EXPECT_GT(r, 0.0);
  EXPECT_TRUE(b.met_by(rm.evaluate(widths_for_ratio(rm.groups(), r))));
  // Minimal: a slightly smaller ratio no longer fits (or keeps the same widths).
  const auto w_less = widths_for_ratio(rm.groups(), std::max(0.0, r - 2e-4));
  if (w_less != widths_for_ratio(rm.groups(), r)) EXPECT_FALSE(b.met_by(rm.evaluate(w_less)));
  EXPECT_EQ(ratio_for_budget(rm, Budget{}), 0.0);
}

TEST(WidthSearchTest, UnreachableBudgetNamesTheResource) {
  const Graph g = build_model(testing::make_spec("vgg11", {1, 16, 16}, 0.25, 10));
  ResourceModel rm(g);
  Budget b;
  b.peak_memory_bytes = 10;  // smaller than the input image
  try {
    ratio_for_budget(rm, b);
    FAIL();
  } catch (const ResourceError& e) {
    EXPECT_NE(std::string(e.what()).find("budget unreachable"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("peak_memory"), std::string::npos) << e.what();
  }
}

TEST(BudgetTest, ReadsKilobytesAndRejectsNonPositive) {
  ConfigNode root = ConfigNode::from_yaml(YAML::Load("budget: {model_size_kb: 64, macs: 1e6}"), "b.yaml");
  ConfigNode n = root.child("budget");
  const Budget b = Budget::from_yaml(n);
  EXPECT_EQ(*b.model_size_bytes, 65536.0);
  EXPECT_EQ(*b.macs, 1e6);
  EXPECT_FALSE(b.peak_memory_bytes.has_value());
  ResourceReport r;
  r.model_size_bytes = 70000;
  r.macs = 5e5;
  EXPECT_FALSE(b.met_by(r));
  EXPECT_NE(b.violations(r).find("model_size 68.4 KB > 64.0 KB"), std::string::npos) << b.violations(r);
  ConfigNode bad_root = ConfigNode::from_yaml(YAML::Load("budget: {peak_memory_kb: -3}"), "b.yaml");
  ConfigNode bad = bad_root.child("budget");
  EXPECT_THROW(Budget::from_yaml(bad), ConfigError);
}

}  // namespace
}  // namespace tinyprune
