#include "core/resources/resource_options.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"

namespace tinyprune {
namespace {

TEST(ResourceOptionsTest, ReadsTheResourcesSection) {
  ConfigNode root = ConfigNode::from_yaml(
      YAML::Load("resources: {inplace_add: true, dp_state_cap: 5000, fallback_to_default_order: false}"), "<test>");
  const ResourceOptions o = ResourceOptions::from_config(root.child("resources"));
  EXPECT_TRUE(o.inplace_add);
  EXPECT_EQ(o.dp_state_cap, 5000);
  EXPECT_FALSE(o.fallback_to_default_order);
  EXPECT_NO_THROW(root.finish());

  ConfigNode empty = ConfigNode::from_yaml(YAML::Load("{}"), "<test>");
  const ResourceOptions d = ResourceOptions::from_config(empty.child("resources"));
  EXPECT_FALSE(d.inplace_add);
  EXPECT_EQ(d.dp_state_cap, 1000000);
  EXPECT_TRUE(d.fallback_to_default_order);
}

TEST(ResourceOptionsTest, RejectsBadValues) {
  ConfigNode root = ConfigNode::from_yaml(YAML::Load("resources: {dp_state_cap: 0}"), "<test>");
  try {
    ResourceOptions::from_config(root.child("resources"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("resources.dp_state_cap"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tinyprune
