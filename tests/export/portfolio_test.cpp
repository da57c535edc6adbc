#include "export/portfolio.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <memory>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/models/zoo.h"
#include "core/resources/resource_model.h"
#include "pruners/structural.h"
#include "tests/models/model_test_util.h"
#include "tests/test_util.h"

namespace tinyprune {
namespace {

using testing::make_spec;

struct Fixture {
  std::vector<GraphModule> models;
  std::vector<VariantInfo> infos;
  std::string bytes;  // the file image
};

// Three variants: a dense VGG-11, the same model sparsified and structurally converted, and a
// ResNet-20 (a portfolio does not require one architecture).
Fixture make_fixture() {
  torch::manual_seed(0);
  Fixture f;
  GraphModule dense(build_model(make_spec("vgg11", {3, 16, 16}, 0.125)));
  dense->eval();
  GraphModule sparse(build_model(make_spec("vgg11", {3, 16, 16}, 0.125)));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : sparse->named_parameters())
      if (p.key().find("conv") != std::string::npos && p.key().find("weight") != std::string::npos) {
        p.value().mul_(torch::bernoulli(torch::full(p.value().sizes(), 0.3)));
        p.value().index_put_({torch::indexing::Slice(0, 2)}, 0.0);  // two dead filters per conv
      }
  }
  sparse->eval();
  GraphModule converted = structural_convert(sparse).model;
  converted->eval();
  GraphModule resnet(build_model(make_spec("resnet20", {3, 16, 16}, 0.25)));
  resnet->eval();
  f.models = {dense, converted, resnet};
  PortfolioWriter w;
  for (size_t i = 0; i < f.models.size(); ++i) {
    VariantInfo info;
    info.name = "level_" + std::to_string(i);
    info.level = static_cast<int64_t>(i);
    info.accuracy = 0.9 - 0.1 * static_cast<double>(i);
    if (i != 1) info.latency_ms = 1.5 + static_cast<double>(i);
    EXPECT_EQ(w.add(f.models[i], info), i);
  }
  f.infos = w.variants();
  f.bytes = w.to_bytes();
  return f;
}

std::string data_error(const std::string& bytes, const std::string& where = "mem.tpf") {
  try {
    Portfolio::from_bytes(bytes, where);
  } catch (const DataError& e) {
    return e.what();
  }
  return "<no DataError>";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(PortfolioTest, RoundTripsMetadataAndSwitchesToIdenticalModels) {
  Fixture f = make_fixture();
  const std::string dir = testing::make_temp_dir("portfolio");
  const std::string path = dir + "/portfolio.tpf";
  ASSERT_NO_THROW(Portfolio::from_bytes(f.bytes, "mem"));
  write_file_atomic(path, f.bytes);

  Portfolio p = Portfolio::open(path);
  EXPECT_EQ(p.source(), path);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p.resident_bytes(), static_cast<int64_t>(f.bytes.size()));
  for (size_t i = 0; i < 3; ++i) {
    const VariantInfo& a = p.variant(i);
    const VariantInfo& b = f.infos[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.level, b.level);
    EXPECT_DOUBLE_EQ(a.accuracy, b.accuracy);
    EXPECT_EQ(a.params, f.models[i]->graph().param_count());
    EXPECT_EQ(a.macs, ResourceModel(f.models[i]->graph()).evaluate().macs);
    EXPECT_EQ(a.peak_memory_bytes, b.peak_memory_bytes);
    EXPECT_GT(a.peak_memory_bytes, 0);
    EXPECT_EQ(a.compressed_bytes, b.compressed_bytes);
    EXPECT_EQ(a.uncompressed_bytes, b.uncompressed_bytes);
    EXPECT_DOUBLE_EQ(a.sparsity, b.sparsity);
  }
  EXPECT_TRUE(std::isnan(p.variant(1).latency_ms));  // not measured -> null -> NaN
  EXPECT_DOUBLE_EQ(p.variant(2).latency_ms, 3.5);
  EXPECT_GT(p.variant(1).sparsity, 0.5);
  // The sparse variant's zeros compress.
  EXPECT_LT(p.variant(1).compressed_bytes * 2, p.variant(1).uncompressed_bytes);

  EXPECT_FALSE(p.active_index().has_value());
  EXPECT_THROW(p.active(), Error);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 3, 16, 16});
  std::weak_ptr<GraphModuleImpl> previous;
  for (size_t i : {0u, 2u, 1u}) {
    const SwitchStats s = p.switch_to(i);
    EXPECT_EQ(s.variant, i);
    EXPECT_GT(s.seconds, 0.0);
    EXPECT_EQ(p.active_index(), i);
    // Only the active model is held: the previous one is gone.
    EXPECT_TRUE(previous.expired());
    GraphModule m = p.active();
    EXPECT_FALSE(m->is_training());
    EXPECT_TRUE(torch::equal(m->forward(x), f.models[i]->forward(x))) << i;
    previous = m.ptr();
  }
  EXPECT_EQ(p.switch_to(1).seconds, 0.0);  // already active
  EXPECT_THROW(p.switch_to(3), Error);
  EXPECT_EQ(p.active_index(), 1u);
  // Releasing first: the same models.
  p.switch_to(0, SwitchOrder::kReleaseThenLoad);
  EXPECT_TRUE(previous.expired());
  EXPECT_EQ(p.active_index(), 0u);
  EXPECT_TRUE(torch::equal(p.active()->forward(x), f.models[0]->forward(x)));
}

TEST(PortfolioTest, CorruptBytesNameFileAndOffset) {
  const Fixture f = make_fixture();
  // A flipped byte inside variant 1's compressed data.
  const uint64_t e1 = 32 + 48;  // table entry 1
  uint64_t data_off = 0;
  for (int i = 0; i < 8; ++i) data_off |= static_cast<uint64_t>(static_cast<unsigned char>(f.bytes[e1 + 16 + i])) << (8 * i);
  std::string bad = f.bytes;
  bad[data_off + 10] ^= 0x40;
  std::string msg = data_error(bad, "runs/x/portfolio.tpf");
  EXPECT_TRUE(has(msg, "runs/x/portfolio.tpf: byte " + std::to_string(data_off) + ": variant 1: data CRC-32 mismatch"))
      << msg;
  // A flipped byte in the variant table.
  bad = f.bytes;
  bad[e1 + 3] ^= 0x01;
  msg = data_error(bad);
  EXPECT_TRUE(has(msg, "mem.tpf: byte 32: variant table CRC-32 mismatch")) << msg;
  // A flipped byte in variant 0's metadata.
  bad = f.bytes;
  bad[32 + 3 * 48 + 2] ^= 0x01;
  msg = data_error(bad);
  EXPECT_TRUE(has(msg, "byte " + std::to_string(32 + 3 * 48) + ": variant 0: metadata CRC-32 mismatch")) << msg;
  // Wrong magic, unsupported version.
  bad = f.bytes;
  bad[0] = 'X';
  EXPECT_TRUE(has(data_error(bad), "mem.tpf: byte 0: not a TinyPrune model portfolio"));
  bad = f.bytes;
  bad[8] = 2;
  msg = data_error(bad);
  EXPECT_TRUE(has(msg, "mem.tpf: byte 8: unsupported portfolio version 2 (this build reads version 1)")) << msg;
  // Bytes appended.
  msg = data_error(f.bytes + "xx");
  EXPECT_TRUE(has(msg, "byte 16:") && has(msg, "appended")) << msg;
}

TEST(PortfolioTest, TruncatedFilesAreRejectedWithTheirLength) {
  const Fixture f = make_fixture();
  for (size_t len : {size_t{0}, size_t{5}, size_t{20}, size_t{100}, f.bytes.size() / 2, f.bytes.size() - 1}) {
    const std::string msg = data_error(f.bytes.substr(0, len), "p.tpf");
    EXPECT_TRUE(has(msg, "p.tpf: byte " + std::to_string(len) + ": truncated")) << len << ": " << msg;
  }
  // open() on a truncated file on disk names the path.
  const std::string dir = testing::make_temp_dir("portfolio_trunc");
  const std::string path = dir + "/cut.tpf";
  write_file_atomic(path, f.bytes.substr(0, f.bytes.size() - 7));
  try {
    Portfolio::open(path);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_TRUE(has(e.what(), path + ": byte ")) << e.what();
    EXPECT_TRUE(has(e.what(), "truncated")) << e.what();
  }
}

TEST(PortfolioTest, WriterRejectsBadInput) {
  torch::manual_seed(1);
  GraphModule m(build_model(make_spec("vgg11", {3, 16, 16}, 0.125)));
  EXPECT_THROW(PortfolioWriter(10), Error);
  PortfolioWriter w(9);
  EXPECT_THROW(w.to_bytes(), Error);
  VariantInfo info;
  EXPECT_THROW(w.add(m, info), Error);  // no name
  info.name = "a";
  w.add(m, info);
  EXPECT_THROW(w.add(m, info), Error);  // duplicate
  EXPECT_EQ(w.size(), 1u);
}

// The command: --list and --switch on a run directory's portfolio.
TEST(PortfolioTest, CommandListsAndSwitches) {
  const Fixture f = make_fixture();
  const std::string dir = testing::make_temp_dir("portfolio_cli");
  write_file_atomic(dir + "/portfolio.tpf", f.bytes);
  const std::string out = dir + "/out.txt";
  auto run = [&](const std::string& args) {
    const std::string cmd = std::string(TINYPRUNE_BINARY_DIR) + "/tinyprune portfolio " + args + " > " + out + " 2>&1";
    const int raw = std::system(cmd.c_str());
    return std::make_pair(WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, testing::read_text(out));
  };
  auto [status, text] = run(dir + " --list --switch 1");
  EXPECT_EQ(status, 0) << text;
  EXPECT_TRUE(has(text, "level_0") && has(text, "level_2") && has(text, "3 variants")) << text;
  EXPECT_TRUE(has(text, "switched to variant 1 (\"level_1\")")) << text;
  std::tie(status, text) = run(dir + "/portfolio.tpf --switch 2 --json");
  EXPECT_EQ(status, 0) << text;
  EXPECT_TRUE(has(text, "\"switch_ms\"") && has(text, "\"output_shape\"")) << text;
  std::tie(status, text) = run(dir + " --switch 7");
  EXPECT_EQ(status, 2) << text;
  EXPECT_TRUE(has(text, "[0, 2]")) << text;
  write_file_atomic(dir + "/portfolio.tpf", f.bytes.substr(0, 40));
  std::tie(status, text) = run(dir);
  EXPECT_EQ(status, 1) << text;
  EXPECT_TRUE(has(text, "truncated")) << text;
}

}  // namespace
}  // namespace tinyprune
