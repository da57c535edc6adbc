#include "export/export_options.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "core/config_node.h"
#include "core/error.h"

namespace tinyprune {
namespace {

ExportOptions parse(const std::string& yaml) {
  ConfigNode root = ConfigNode::from_yaml(YAML::Load(yaml), "exp.yaml");
  ConfigNode section = root.child("export");
  ExportOptions o = ExportOptions::from_yaml(section);
  root.finish();
  return o;
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ExportOptionsTest, DefaultsAndValues) {
  const ExportOptions d = parse("export: {}\n");
  EXPECT_EQ(d.out, "model.fwcs");
  EXPECT_TRUE(d.header);
  EXPECT_EQ(d.calibration_batches, 8);
  EXPECT_EQ(d.fwcs, "auto");
  const ExportOptions o = parse(
      "export:\n  out: m.fwcs\n  header: false\n  calibration_batches: 3\n  calibration_batch_size: 16\n"
      "  fwcs: never\n  test_images: 4\n  header_symbol: kws_model\n  inplace_add: true\n  arena_alignment: 4\n");
  EXPECT_EQ(o.out, "m.fwcs");
  EXPECT_FALSE(o.header);
  EXPECT_EQ(o.calibration_batches, 3);
  EXPECT_EQ(o.calibration_batch_size, 16);
  EXPECT_EQ(o.fwcs, "never");
  EXPECT_EQ(o.test_images, 4);
  EXPECT_EQ(o.header_symbol, "kws_model");
  EXPECT_TRUE(o.inplace_add);
  EXPECT_EQ(o.arena_alignment, 4);
  EXPECT_NO_THROW(o.validate());
}

TEST(ExportOptionsTest, ErrorsNameFileLineAndKey) {
  std::string e = error_of("export:\n  calibration_batches: 0\n");
  EXPECT_NE(e.find("exp.yaml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("export.calibration_batches: expected an integer"), std::string::npos) << e;
  e = error_of("export:\n  fwcs: allways\n");
  EXPECT_NE(e.find("export.fwcs"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean \"always\""), std::string::npos) << e;
  e = error_of("export:\n  calibration_batchs: 4\n");
  EXPECT_NE(e.find("unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean \"calibration_batches\""), std::string::npos) << e;
  e = error_of("export:\n  header: maybe\n");
  EXPECT_NE(e.find("export.header"), std::string::npos) << e;
  e = error_of("export:\n  header_symbol: 9lives\n");
  EXPECT_NE(e.find("export.header_symbol: expected a C identifier"), std::string::npos) << e;
  e = error_of("export:\n  out: \"\"\n");
  EXPECT_NE(e.find("export.out: expected a file name"), std::string::npos) << e;
  e = error_of("export:\n  arena_alignment: 12\n");
  EXPECT_NE(e.find("export.arena_alignment"), std::string::npos) << e;
  e = error_of("export:\n  test_images: -1\n");
  EXPECT_NE(e.find("export.test_images"), std::string::npos) << e;
}

TEST(ExportOptionsTest, ValidateChecksOptionsBuiltInCode) {
  ExportOptions o;
  o.fwcs = "sometimes";
  EXPECT_THROW(o.validate(), ConfigError);
  o = ExportOptions{};
  o.calibration_batches = 0;
  EXPECT_THROW(o.validate(), ConfigError);
  o = ExportOptions{};
  o.out = "";  // in-memory export is fine in code
  EXPECT_NO_THROW(o.validate());
}

}  // namespace
}  // namespace tinyprune
