#include "core/resources/resource_report.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <sstream>

#include "tests/resources/test_graphs.h"

namespace tinyprune {
namespace {

TEST(ResourceReportTest, TableListsLayersTotalsAndPeak) {
  ResourceModel rm(testgraphs::resnet18_cifar());
  const ResourceReport r = rm.evaluate();
  const std::string table = format_resource_table(rm, r);
  EXPECT_NE(table.find("layer"), std::string::npos);
  EXPECT_NE(table.find("l1_0_conv1"), std::string::npos);
  EXPECT_NE(table.find("64x32x32"), std::string::npos);
  EXPECT_NE(table.find("total"), std::string::npos);
  EXPECT_NE(table.find("11173962"), std::string::npos);
  EXPECT_NE(table.find("peak memory (int8): 196608 B (192.0 KiB) exact"), std::string::npos) << table;
  // Numbers are right-aligned under their header: the params column ends at the same offset.
  std::istringstream lines(table);
  std::string header, row;
  std::getline(lines, header);
  const size_t end = header.find("params") + 6;
  int rows = 0;
  while (std::getline(lines, row) && row.rfind("-----", 0) != 0) {
    ASSERT_GT(row.size(), end);
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(row[end - 1]))) << row;
    EXPECT_EQ(row[end], ' ') << row;
    ++rows;
  }
  EXPECT_EQ(rows, static_cast<int>(r.layers.size()));
}

TEST(ResourceReportTest, JsonHasTheDocumentedKeys) {
  ResourceModel rm(testgraphs::vgg16_cifar());
  const ResourceReport r = rm.evaluate();
  const Json j = resource_json(rm, r);
  const YAML::Node y = YAML::Load(j.dump());
  EXPECT_EQ(y["params"].as<int64_t>(), 14728266);
  EXPECT_EQ(y["macs"].as<int64_t>(), 313201664);
  EXPECT_EQ(y["model_size_bytes"].as<int64_t>(), r.model_size_bytes);
  EXPECT_EQ(y["model_size_weights_only_bytes"].as<int64_t>(), r.model_size_weights_only_bytes);
  EXPECT_EQ(y["peak_memory_bytes"].as<int64_t>(), 131072);
  EXPECT_EQ(y["peak_memory_default_order_bytes"].as<int64_t>(), 131072);
  EXPECT_EQ(y["peak_memory_naive_bytes"].as<int64_t>(), 131072);
  EXPECT_TRUE(y["peak_memory_exact"].as<bool>());
  ASSERT_TRUE(y["execution_order"].IsSequence());
  EXPECT_EQ(y["execution_order"].size(), r.layers.size() - 1);
  ASSERT_TRUE(y["layers"].IsSequence());
  EXPECT_EQ(y["layers"].size(), r.layers.size());
  const YAML::Node conv = y["layers"][1];
  EXPECT_EQ(conv["op"].as<std::string>(), "conv2d");
  EXPECT_EQ(conv["params"].as<int64_t>(), 1792 + 128);
  EXPECT_EQ(conv["activation_bytes"].as<int64_t>(), 65536);
  EXPECT_TRUE(conv["in_bottleneck"].as<bool>());
  EXPECT_EQ(conv["shape"][0].as<int64_t>(), 64);
  ASSERT_TRUE(y["groups"].IsSequence());
  EXPECT_EQ(y["groups"].size(), 15u);  // input, 13 conv groups, fc
  EXPECT_FALSE(y["groups"][0]["prunable"].as<bool>());
  EXPECT_EQ(y["groups"][1]["consumers"][0]["node"].as<std::string>(), y["groups"][2]["name"].as<std::string>());
  EXPECT_EQ(y["bottleneck"].size(), 2u);
}

}  // namespace
}  // namespace tinyprune
