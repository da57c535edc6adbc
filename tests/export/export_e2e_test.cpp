// End to end: train briefly on the synthetic data set (tinyprune run), export the run directory,
// run the host runtime over the test split and compare with the LibTorch fp32 model; then the
// same through the `tinyprune export` / `tinyprune eval` commands.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>

#include "core/experiment.h"
#include "core/run.h"
#include "core/train/checkpoint.h"
#include "datasets/registry.h"
#include "export/evaluate_blob.h"
#include "export/exporter.h"
#include "tests/export/export_test_util.h"
#include "tests/test_util.h"

namespace tinyprune {
namespace {

namespace fs = std::filesystem;

const char* kConfig = R"(name: export_e2e
seed: 3
threads: 2
data:
  name: synthetic
  synthetic_train: 512
  synthetic_test: 256
  synthetic_size: 16
  synthetic_classes: 6
  val_fraction: 0
model:
  name: resnet20
  width: 0.5
train:
  epochs: 3
  batch_size: 32
  lr: 0.05
  workers: 0
  schedule:
    name: cosine
)";

// One trained run shared by the tests of this file.
const std::string& trained_run() {
  static const std::string dir = [] {
    const std::string root = testing::make_temp_dir("export_e2e");
    testing::write_text(root + "/e2e.yaml", kConfig);
    RunOptions ro;
    ro.out_dir = root + "/run";
    ro.show_progress = false;
    run_experiment(ExperimentConfig::load(root + "/e2e.yaml"), ro);
    return ro.out_dir;
  }();
  return dir;
}

struct CliResult {
  int status;
  std::string output;
};

CliResult run_cli(const std::string& args) {
  const std::string out = testing::make_temp_dir("export_cli_out") + "/out.txt";
  const std::string cmd = std::string(TINYPRUNE_BINARY_DIR) + "/tinyprune " + args + " > " + out + " 2>/dev/null";
  const int raw = std::system(cmd.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, testing::read_text(out)};
}

TEST(ExportE2eTest, TrainedModelExportsAndTheRuntimeAgreesWithFp32) {
  const std::string run = trained_run();
  ExportOptions o;
  o.test_images = 3;
  const ExportResult r = export_run(run, o);
  EXPECT_EQ(r.blob_path, run + "/model.fwcs");
  EXPECT_EQ(r.header_path, run + "/model.h");
  EXPECT_TRUE(fs::exists(run + "/export.json"));
  const std::string header = testing::read_text(run + "/model.h");
  EXPECT_NE(header.find("#define MODEL_NUM_TEST_IMAGES 3"), std::string::npos);
  EXPECT_NE(header.find("model_test_outputs[3][MODEL_OUTPUT_BYTES]"), std::string::npos);
  EXPECT_GE(r.tensor_arena_bytes, r.peak_memory_bytes);

  const ExperimentConfig config = ExperimentConfig::load(run + "/config.yaml");
  const DataSplits data = DatasetRegistry::global().create(config.data, config.seed);
  GraphModule model = load_model(run + "/model.pt");
  const BlobEvalResult e = evaluate_blob(r.blob, *data.test, {}, &model);
  EXPECT_EQ(e.count, 256);
  ASSERT_TRUE(e.has_reference);
  EXPECT_GT(e.reference_accuracy, 0.5) << "training did not learn the synthetic task";
  EXPECT_GE(e.agreement, 0.9);
  EXPECT_NEAR(e.accuracy, e.reference_accuracy, 0.05);
  EXPECT_EQ(e.flash_bytes, r.flash_bytes);
  EXPECT_EQ(e.arena_bytes, r.arena_bytes);
  EXPECT_EQ(e.macs, r.macs);

  // On real test images every op of the runtime is within 1 LSB of the simulation.
  const Batch b = data.test->get_unaugmented_batch({0, 1, 2, 3, 4, 5, 6, 7});
  const testing::OpComparison c = testing::compare_ops_with_simulation(r, b.images);
  EXPECT_LE(c.max_lsb, 1) << c.worst_op;
}

TEST(ExportE2eTest, CommandsExportAndEvaluate) {
  const std::string run = trained_run();
  const std::string out = testing::make_temp_dir("export_cli") + "/cli.fwcs";
  CliResult x = run_cli("export " + run + " --out " + out + " --no-header --calibration-batches 2 --json");
  ASSERT_EQ(x.status, 0) << x.output;
  YAML::Node j = YAML::Load(x.output);
  EXPECT_EQ(j["blob"].as<std::string>(), out);
  EXPECT_EQ(j["calibration_samples"].as<int64_t>(), 64);
  EXPECT_GE(j["tensor_arena_bytes"].as<int64_t>(), j["peak_memory_bytes"].as<int64_t>());
  EXPECT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(fs::path(out).replace_extension(".h")));

  CliResult e = run_cli("eval " + out + " " + run + " --json");
  ASSERT_EQ(e.status, 0) << e.output;
  YAML::Node k = YAML::Load(e.output);
  EXPECT_EQ(k["count"].as<int64_t>(), 256);
  EXPECT_GE(k["agreement"].as<double>(), 0.9);
  EXPECT_EQ(k["flash_bytes"].as<int64_t>(), j["flash_bytes"].as<int64_t>());

  // Table output, data by name, usage errors.
  CliResult t = run_cli("eval " + out + " --data synthetic --limit 10");
  EXPECT_EQ(t.status, 0);
  EXPECT_NE(t.output.find("accuracy"), std::string::npos);
  EXPECT_EQ(run_cli("eval " + out).status, 2);                 // no data source
  EXPECT_EQ(run_cli("eval " + out + " --data nope").status, 2);
  EXPECT_EQ(run_cli("export /nonexistent/run").status, 2);
  EXPECT_EQ(run_cli("export " + run + " --fwcs maybe").status, 2);
  EXPECT_EQ(run_cli("export " + run + " --calibration-batches 0").status, 2);
}

}  // namespace
}  // namespace tinyprune
