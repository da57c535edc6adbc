// Model portfolio (DNNShifter, algorithms.md 5.7-5.8): several variants of one model (typically
// the structurally converted IMP levels, pruners/structural.h) in one file, each DEFLATE-
// compressed (zlib). At run time the compressed bytes stay in memory and switch_to() inflates and
// loads one variant, so only the active model is ever held uncompressed: switching costs an
// inflate + deserialize instead of a disk read, and memory is the compressed portfolio plus one
// model instead of every model.
//
// File layout (`.tpf`, all integers little-endian, version 1):
//   offset   size   field
//   0        8      magic "TPPFOLIO"
//   8        4      u32 version (1)
//   12       4      u32 variant count N (>= 1)
//   16       8      u64 total file size (detects truncation and appended bytes)
//   24       4      u32 CRC-32 (zlib crc32) of the variant table
//   28       4      u32 reserved, 0
//   32       48*N   variant table; entry i (at 32 + 48*i):
//                     +0  u64 metadata offset    +8  u32 metadata bytes   +12 u32 metadata CRC-32
//                     +16 u64 data offset        +24 u64 compressed bytes
//                     +32 u64 uncompressed bytes +40 u32 data CRC-32 (of the compressed bytes)
//                     +44 u32 reserved, 0
//   then the metadata (one UTF-8 JSON object per variant, VariantInfo::to_json) and the data (one
//   zlib stream per variant of exactly the bytes save_model() writes: graph + weights) at the
//   offsets of the table. Readers check every offset, length and CRC when opening.
//
// Usage:
//   PortfolioWriter w;                          // zlib level 6
//   VariantInfo info;  info.name = "level_0";  info.accuracy = 0.91;
//   w.add(level0_model, info);                  // compresses now; params/MACs/PMU filled in
//   w.write("runs/imp/portfolio.tpf");          // atomically
//   Portfolio p = Portfolio::open("runs/imp/portfolio.tpf");
//   SwitchStats s = p.switch_to(3);             // inflate + load variant 3 (eval mode)
//   torch::Tensor y = p.active()->forward(x);
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/graph_module.h"
#include "core/json.h"

namespace tinyprune {

constexpr uint32_t kPortfolioVersion = 1;
constexpr const char* kPortfolioExtension = ".tpf";
constexpr const char* kPortfolioFileName = "portfolio.tpf";  // inside a run directory

// Per-variant metadata (JSON in the file). NaN = not measured; it prints as null.
struct VariantInfo {
  std::string name;                 // e.g. "level_3"; non-empty
  int64_t level = 0;                // IMP level (or any ordinal)
  double sparsity = -1.0;           // zero fraction of conv/linear weights, [0, 1]; < 0: measured by add()
  double accuracy = kNaN;           // test top-1 in [0, 1]
  int64_t params = 0;               // Graph::param_count; 0: filled by add()
  int64_t macs = 0;                 // ResourceModel; 0: filled by add()
  int64_t peak_memory_bytes = 0;    // ResourceModel exact PMU (int8); 0: filled by add()
  double latency_ms = kNaN;         // measured LibTorch CPU latency (caller's protocol)
  int64_t compressed_bytes = 0;     // set by add()
  int64_t uncompressed_bytes = 0;   // set by add(): the save_model() bytes

  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  Json to_json() const;
};

// Times of one switch, seconds.
struct SwitchStats {
  size_t variant = 0;
  double inflate_seconds = 0.0;   // zlib inflate of the compressed bytes
  double load_seconds = 0.0;      // deserialize into a GraphModule
  double seconds = 0.0;           // the whole switch_to call
};

// What switch_to() does with the previous variant.
enum class SwitchOrder {
  kLoadThenRelease,  // load first, then drop the previous one: it stays active if loading fails;
                     // peak = two models + the inflated bytes
  kReleaseThenLoad,  // drop the previous one first: peak = one model + the inflated bytes; nothing
                     // is active if loading fails
};

class PortfolioWriter {
 public:
  // zlib compression level 0 (store) .. 9 (best); throws Error otherwise.
  explicit PortfolioWriter(int compression_level = 6);

  // Serializes and compresses `model` now (the caller may drop it afterwards); fills the byte
  // counts and any unset params / MACs / peak memory / sparsity. Returns the variant's index.
  // Throws Error for an empty or duplicate name.
  size_t add(GraphModule& model, VariantInfo info);

  size_t size() const { return variants_.size(); }
  const std::vector<VariantInfo>& variants() const { return variants_; }

  // The file image; throws Error when no variant was added.
  std::string to_bytes() const;
  // to_bytes() written atomically (core/atomic_file.h).
  void write(const std::string& path) const;

 private:
  int level_;
  std::vector<VariantInfo> variants_;
  std::vector<std::string> compressed_;
};

// An opened portfolio: the compressed file image in memory, at most one variant inflated.
// Not thread-safe; move-only.
class Portfolio {
 public:
  // Reads and validates the whole file (magic, version, sizes, offsets, CRCs, metadata). Throws
  // DataError naming the file and the byte offset of the first problem (truncated, corrupt,
  // unsupported version).
  static Portfolio open(const std::string& path);
  // The same for a file image already in memory; `where` names it in errors.
  static Portfolio from_bytes(std::string bytes, std::string where);

  Portfolio(Portfolio&&) = default;
  Portfolio& operator=(Portfolio&&) = default;

  const std::string& source() const { return where_; }
  size_t size() const { return variants_.size(); }
  const std::vector<VariantInfo>& variants() const { return variants_; }
  const VariantInfo& variant(size_t i) const;  // Error when out of range

  // Inflates and deserializes variant i (eval mode), makes it active and frees the previous one
  // (its memory returns once no caller holds it). Switching to the active variant does nothing
  // (all times 0). Throws Error for a bad index, DataError for a variant that fails to inflate.
  SwitchStats switch_to(size_t i, SwitchOrder order = SwitchOrder::kLoadThenRelease);
  std::optional<size_t> active_index() const { return active_index_; }
  // The active model; throws Error before the first switch_to().
  GraphModule active() const;

  // The variant's uncompressed save_model() bytes (inflated on every call).
  std::string inflate(size_t i) const;
  // Bytes the portfolio keeps in memory besides the active model (the compressed file image).
  int64_t resident_bytes() const { return static_cast<int64_t>(bytes_.size()); }

 private:
  struct Entry {
    uint64_t data_offset = 0, compressed = 0, uncompressed = 0;
  };
  Portfolio() = default;
  std::string where_;
  std::string bytes_;
  std::vector<Entry> entries_;
  std::vector<VariantInfo> variants_;
  std::optional<size_t> active_index_;
  GraphModule active_{nullptr};
};

}  // namespace tinyprune
