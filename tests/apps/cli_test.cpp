// End-to-end tests of the tinyprune command (the built binary).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>

#include "tests/test_util.h"

namespace tinyprune {
namespace {

struct Result {
  int status;
  std::string output;  // stdout + stderr
};

Result run_cli(const std::string& args) {
  const std::string dir = testing::make_temp_dir("cli_out");
  const std::string out = dir + "/out.txt";
  const std::string cmd = std::string(TINYPRUNE_BINARY_DIR) + "/tinyprune " + args + " > " + out + " 2>&1";
  const int raw = std::system(cmd.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, testing::read_text(out)};
}

const char* kTinyConfig = R"(name: tiny
seed: 5
threads: 1
data:
  name: synthetic
  synthetic_train: 256
  synthetic_test: 64
  synthetic_size: 12
  val_fraction: 0.25
model:
  name: resnet20
  width: 0.25
train:
  epochs: 2
  batch_size: 32
  lr: 0.05
  workers: 1
)";

TEST(CliTest, HelpAndVersion) {
  auto r = run_cli("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("run"), std::string::npos);
  EXPECT_NE(r.output.find("analyze"), std::string::npos);
  EXPECT_EQ(run_cli("--version").status, 0);
  auto sub = run_cli("run --help");
  EXPECT_EQ(sub.status, 0);
  EXPECT_NE(sub.output.find("--set"), std::string::npos);
  EXPECT_EQ(run_cli("frobnicate").status, 2);
  EXPECT_NE(run_cli("rnu").output.find("did you mean \"run\""), std::string::npos);
}

TEST(CliTest, RunsATinyConfigEndToEnd) {
  const std::string dir = testing::make_temp_dir("cli_run");
  testing::write_text(dir + "/tiny.yaml", kTinyConfig);
  auto r = run_cli("run " + dir + "/tiny.yaml --out " + dir + "/run --no-progress --set train.max_steps=12");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* f : {"config.yaml", "graph.yaml", "model.pt", "metrics.jsonl", "metrics.csv", "summary.json",
                        "checkpoints/last.pt"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/run/" + f)) << f;
  YAML::Node s = YAML::LoadFile(dir + "/run/summary.json");
  for (const char* key : {"test_accuracy", "params", "macs", "wall_seconds", "train_images_per_second", "name", "seed"})
    EXPECT_TRUE(s[key]) << key;
  EXPECT_EQ(s["name"].as<std::string>(), "tiny");
  EXPECT_EQ(s["steps"].as<int>(), 12);
  YAML::Node resolved = YAML::LoadFile(dir + "/run/config.yaml");
  EXPECT_EQ(resolved["train"]["max_steps"].as<int>(), 12);
}

TEST(CliTest, ConfigErrorExitsTwoAndWritesNothing) {
  const std::string dir = testing::make_temp_dir("cli_bad");
  testing::write_text(dir + "/bad.yaml", std::string(kTinyConfig) + "  optimiser: adam\n");
  auto r = run_cli("run " + dir + "/bad.yaml --out " + dir + "/run");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("bad.yaml:18:3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean \"optimizer\""), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/run"));
  EXPECT_EQ(run_cli("run " + dir + "/tiny.yaml --bogus").status, 2);
}

TEST(CliTest, AnalyzeModelPrintsJsonWithTheResourceKeys) {
  auto r = run_cli("analyze --model resnet20 --input 3x32x32 --classes 10 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  YAML::Node j = YAML::Load(r.output);
  EXPECT_EQ(j["params"].as<int64_t>(), 272474);
  for (const char* key : {"macs", "model_size_bytes", "peak_memory_bytes", "peak_memory_default_order_bytes",
                          "peak_memory_naive_bytes", "execution_order", "layers"})
    EXPECT_TRUE(j[key]) << key;
  EXPECT_LE(j["peak_memory_bytes"].as<int64_t>(), j["peak_memory_default_order_bytes"].as<int64_t>());
  EXPECT_GE(j["peak_memory_bytes"].as<int64_t>(), j["peak_memory_naive_bytes"].as<int64_t>());
  auto table = run_cli("analyze --model vgg11 --width 0.25 --input 1x28x28 --classes 10");
  ASSERT_EQ(table.status, 0) << table.output;
  EXPECT_NE(table.output.find("features_conv0"), std::string::npos) << table.output;
  EXPECT_EQ(run_cli("analyze --model resnet20 --input 3x32 --classes 10").status, 2);
}

TEST(CliTest, AnalyzeRunDirectoryReadsTheTrainedModel) {
  const std::string dir = testing::make_temp_dir("cli_analyze");
  testing::write_text(dir + "/tiny.yaml", kTinyConfig);
  ASSERT_EQ(run_cli("run " + dir + "/tiny.yaml --out " + dir + "/run --no-progress --set train.max_steps=2").status, 0);
  auto r = run_cli("analyze " + dir + "/run --json");
  ASSERT_EQ(r.status, 0) << r.output;
  YAML::Node s = YAML::LoadFile(dir + "/run/summary.json");
  EXPECT_EQ(YAML::Load(r.output)["params"].as<int64_t>(), s["params"].as<int64_t>());
  EXPECT_EQ(run_cli("analyze " + dir + "/nonexistent_dir_or_file").status, 2);
}

}  // namespace
}  // namespace tinyprune
