#include <gtest/gtest.h>

#include "core/config_node.h"
#include "core/experiment.h"
#include "tests/test_util.h"

namespace tinyprune {
namespace {

std::string write_config(const std::string& name, const std::string& text) {
  const std::string dir = testing::make_temp_dir("config");
  const std::string path = dir + "/" + name;
  testing::write_text(path, text);
  return path;
}

std::string error_of(const std::string& path, const std::vector<std::string>& overrides = {}) {
  try {
    ExperimentConfig::load(path, overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

const char* kValid = R"(name: t
seed: 3
data:
  name: synthetic
model:
  name: resnet20
train:
  epochs: 2
  lr: 0.1
)";

TEST(ConfigTest, ValidFileLoadsWithDefaultsFilledIn) {
  const auto path = write_config("ok.yaml", kValid);
  ExperimentConfig c = ExperimentConfig::load(path);
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.seed, 3u);
  EXPECT_EQ(c.train.epochs, 2);
  EXPECT_DOUBLE_EQ(c.train.optimizer.lr, 0.1);
  EXPECT_EQ(c.model.name, "resnet20");
  // Defaults appear in the resolved config.
  EXPECT_EQ(c.resolved["train"]["batch_size"].as<int>(), 128);
  EXPECT_EQ(c.resolved["train"]["schedule"]["name"].as<std::string>(), "cosine");
  EXPECT_EQ(c.resolved["output_dir"].as<std::string>(), "runs");
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndSuggestsNearest) {
  const auto path = write_config("typo.yaml", "name: t\ntrain:\n  epochs: 1\n  lerning_rate: 0.1\n  optimzer: sgd\nmodel: {name: vgg11}\n");
  const std::string msg = error_of(path);
  EXPECT_NE(msg.find("typo.yaml:4:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train.lerning_rate"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key"), std::string::npos) << msg;
  const auto path2 = write_config("typo2.yaml", "name: t\ntrain:\n  optimzer: sgd\nmodel: {name: vgg11}\n");
  const std::string msg2 = error_of(path2);
  EXPECT_NE(msg2.find("did you mean \"optimizer\""), std::string::npos) << msg2;
}

TEST(ConfigTest, WrongTypeIsReportedWithExpectation) {
  const auto path = write_config("type.yaml", "name: t\ntrain:\n  epochs: many\nmodel: {name: vgg11}\n");
  const std::string msg = error_of(path);
  EXPECT_NE(msg.find("type.yaml:3:11"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train.epochs: expected an integer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"many\""), std::string::npos) << msg;
}

TEST(ConfigTest, OutOfRangeValue) {
  const auto path = write_config("range.yaml", "name: t\ntrain:\n  lr: -1\nmodel: {name: vgg11}\n");
  const std::string msg = error_of(path);
  EXPECT_NE(msg.find("train.lr: expected a number > 0"), std::string::npos) << msg;
}

TEST(ConfigTest, UnknownTopLevelSectionAndChoice) {
  EXPECT_NE(error_of(write_config("top.yaml", "name: t\ntrian: {}\nmodel: {name: vgg11}\n")).find("did you mean \"train\""),
            std::string::npos);
  const std::string msg = error_of(write_config("opt.yaml", "name: t\ntrain:\n  optimizer: sdg\nmodel: {name: vgg11}\n"));
  EXPECT_NE(msg.find("did you mean \"sgd\""), std::string::npos) << msg;
  const std::string fmt = error_of(write_config("fmt.yaml", "name: t\ntrain:\n  memory_format: nhwc\nmodel: {name: vgg11}\n"));
  EXPECT_NE(fmt.find("memory_format"), std::string::npos) << fmt;
  EXPECT_NE(fmt.find("channels_last"), std::string::npos) << fmt;
}

TEST(ConfigTest, OverridesApplyAndAreValidated) {
  const auto path = write_config("ov.yaml", kValid);
  ExperimentConfig c = ExperimentConfig::load(path, {"train.lr=0.2", "train.schedule.name=step"});
  EXPECT_DOUBLE_EQ(c.train.optimizer.lr, 0.2);
  EXPECT_EQ(c.train.schedule.name, "step");
  const std::string msg = error_of(path, {"train.bogus=1"});
  EXPECT_NE(msg.find("--set train.bogus"), std::string::npos) << msg;
  EXPECT_NE(error_of(path, {"novalue"}).find("expected key.path=value"), std::string::npos);
}

TEST(ConfigTest, SyntaxErrorAndMissingFile) {
  EXPECT_NE(error_of(write_config("syn.yaml", "name: [unclosed\n")).find("YAML syntax error"), std::string::npos);
  EXPECT_NE(error_of("/nonexistent/x.yaml").find("cannot open"), std::string::npos);
}

TEST(ConfigTest, EditDistanceSuggestions) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(nearest("epochz", {"epochs", "lr", "batch_size"}), "epochs");
  EXPECT_EQ(nearest("zzzzzz", {"epochs", "lr"}), "");
}

}  // namespace
}  // namespace tinyprune

namespace tinyprune {
namespace {

// Regression: locating an existing key once rebound a yaml-cpp node into the document and
// overwrote the parent map (then "prune.macs: unknown key").
TEST(ConfigNodeTest, ErrorAtAnExistingKeyLeavesTheDocumentIntact) {
  ConfigNode root = ConfigNode::from_yaml(YAML::Load("prune: {budget: {macs: 5}, rate: 2}"), "x.yaml");
  ConfigNode prune = root.child("prune");
  const ConfigError e = prune.error("budget", "just a message");
  EXPECT_NE(std::string(e.what()).find("x.yaml:1"), std::string::npos) << e.what();
  ConfigNode budget = prune.child("budget");
  EXPECT_EQ(budget.get_int("macs", 0), 5);
  EXPECT_EQ(prune.get_int("rate", 0), 2);
  EXPECT_NO_THROW(root.finish());
}

}  // namespace
}  // namespace tinyprune
