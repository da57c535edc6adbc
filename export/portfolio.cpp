#include "export/portfolio.h"

#include <torch/torch.h>
#include <yaml-cpp/yaml.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/resources/resource_model.h"
#include "core/train/checkpoint.h"
#include "pruners/mask_set.h"

namespace tinyprune {
namespace {

constexpr char kMagic[8] = {'T', 'P', 'P', 'F', 'O', 'L', 'I', 'O'};
constexpr uint64_t kHeaderBytes = 32;
constexpr uint64_t kEntryBytes = 48;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint32_t get_u32(const std::string& in, uint64_t off) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(in[off + i])) << (8 * i);
  return v;
}
uint64_t get_u64(const std::string& in, uint64_t off) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[off + i])) << (8 * i);
  return v;
}

// zlib's crc32 takes 32-bit lengths: feed large buffers in chunks.
uint32_t crc32_of(const char* p, uint64_t n) {
  uLong c = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<uint64_t>(n, uint64_t{1} << 30));
    c = crc32(c, reinterpret_cast<const Bytef*>(p), chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(c);
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Metadata numbers: JSON null (NaN when written) reads back as NaN.
double read_double(const YAML::Node& n, const char* key, double fallback) {
  const YAML::Node v = n[key];
  if (!v || v.IsNull()) return fallback;
  return v.as<double>();
}
int64_t read_int(const YAML::Node& n, const char* key) {
  const YAML::Node v = n[key];
  return v && !v.IsNull() ? v.as<int64_t>() : 0;
}

}  // namespace

Json VariantInfo::to_json() const {
  Json j = Json::object();
  j["name"] = name;
  j["level"] = level;
  j["sparsity"] = sparsity;
  j["accuracy"] = accuracy;
  j["params"] = params;
  j["macs"] = macs;
  j["peak_memory_bytes"] = peak_memory_bytes;
  j["latency_ms"] = latency_ms;
  j["compressed_bytes"] = compressed_bytes;
  j["uncompressed_bytes"] = uncompressed_bytes;
  return j;
}

// --- writer ----------------------------------------------------------------------------------

PortfolioWriter::PortfolioWriter(int compression_level) : level_(compression_level) {
  TP_CHECK(compression_level >= 0 && compression_level <= 9, "portfolio: zlib compression level must be in [0, 9], got ",
           compression_level);
}

size_t PortfolioWriter::add(GraphModule& model, VariantInfo info) {
  TP_CHECK(!info.name.empty(), "portfolio: variant ", variants_.size(), " needs a non-empty name");
  for (const VariantInfo& v : variants_)
    TP_CHECK(v.name != info.name, "portfolio: duplicate variant name \"", info.name, "\"");
  const Graph& g = model->graph();
  if (info.params == 0) info.params = g.param_count();
  if (info.macs == 0 || info.peak_memory_bytes == 0) {
    const ResourceReport r = ResourceModel(g).evaluate();
    if (info.macs == 0) info.macs = r.macs;
    if (info.peak_memory_bytes == 0) info.peak_memory_bytes = r.peak_memory_bytes;
  }
  if (info.sparsity < 0.0) info.sparsity = measure_sparsity(model).sparsity();

  const std::string raw = save_model_bytes(model);
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(size, '\0');
  const int rc = compress2(reinterpret_cast<Bytef*>(packed.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                           static_cast<uLong>(raw.size()), level_);
  TP_CHECK(rc == Z_OK, "portfolio: compressing variant \"", info.name, "\" failed (zlib: ", zError(rc), ")");
  packed.resize(size);
  info.compressed_bytes = static_cast<int64_t>(packed.size());
  info.uncompressed_bytes = static_cast<int64_t>(raw.size());
  variants_.push_back(std::move(info));
  compressed_.push_back(std::move(packed));
  return variants_.size() - 1;
}

std::string PortfolioWriter::to_bytes() const {
  TP_CHECK(!variants_.empty(), "portfolio: no variants to write");
  const uint64_t n = variants_.size();
  std::vector<std::string> meta;
  for (const VariantInfo& v : variants_) meta.push_back(v.to_json().dump());

  std::string table;
  uint64_t off = kHeaderBytes + kEntryBytes * n;
  for (uint64_t i = 0; i < n; ++i) {
    const std::string& m = meta[i];
    const std::string& d = compressed_[i];
    put_u64(table, off);
    put_u32(table, static_cast<uint32_t>(m.size()));
    put_u32(table, crc32_of(m.data(), m.size()));
    off += m.size();
    put_u64(table, off);
    put_u64(table, d.size());
    put_u64(table, static_cast<uint64_t>(variants_[i].uncompressed_bytes));
    put_u32(table, crc32_of(d.data(), d.size()));
    put_u32(table, 0);
    off += d.size();
  }
  std::string out(kMagic, sizeof kMagic);
  put_u32(out, kPortfolioVersion);
  put_u32(out, static_cast<uint32_t>(n));
  put_u64(out, off);
  put_u32(out, crc32_of(table.data(), table.size()));
  put_u32(out, 0);
  out.reserve(off);
  out += table;
  for (uint64_t i = 0; i < n; ++i) {
    out += meta[i];
    out += compressed_[i];
  }
  return out;
}

void PortfolioWriter::write(const std::string& path) const { write_file_atomic(path, to_bytes()); }

// --- reader ----------------------------------------------------------------------------------

Portfolio Portfolio::open(const std::string& path) { return from_bytes(read_file(path), path); }

Portfolio Portfolio::from_bytes(std::string bytes, std::string where) {
  auto fail = [&](uint64_t offset, const std::string& what) {
    return DataError(str_cat(where, ": byte ", offset, ": ", what));
  };
  const uint64_t size = bytes.size();
  const uint64_t magic_bytes = std::min<uint64_t>(size, sizeof kMagic);
  if (std::memcmp(bytes.data(), kMagic, magic_bytes) != 0)
    throw fail(0, "not a TinyPrune model portfolio (expected the magic \"TPPFOLIO\")");
  if (size < kHeaderBytes)
    throw fail(size, str_cat("truncated: the file has ", size, " bytes, the header alone needs ", kHeaderBytes));
  const uint32_t version = get_u32(bytes, 8);
  if (version != kPortfolioVersion)
    throw fail(8, str_cat("unsupported portfolio version ", version, " (this build reads version ", kPortfolioVersion,
                          ")"));
  const uint64_t n = get_u32(bytes, 12);
  if (n == 0) throw fail(12, "the portfolio holds no variant");
  const uint64_t stored_size = get_u64(bytes, 16);
  if (stored_size > size)
    throw fail(size, str_cat("truncated: the header says the file has ", stored_size, " bytes, it has ", size));
  if (stored_size < size)
    throw fail(16, str_cat("the header says the file has ", stored_size, " bytes, it has ", size,
                           " (bytes appended?)"));
  const uint64_t table_end = kHeaderBytes + kEntryBytes * n;
  if (table_end > size)
    throw fail(size, str_cat("truncated: the table of ", n, " variants ends at byte ", table_end, ", the file has ",
                             size, " bytes"));
  const uint32_t table_crc = crc32_of(bytes.data() + kHeaderBytes, table_end - kHeaderBytes);
  if (table_crc != get_u32(bytes, 24))
    throw fail(kHeaderBytes, str_cat("variant table CRC-32 mismatch (stored ", hex32(get_u32(bytes, 24)),
                                     ", computed ", hex32(table_crc), "): the file is corrupt"));

  Portfolio p;
  p.where_ = where;  // (`fail` keeps using `where`)
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t e = kHeaderBytes + kEntryBytes * i;
    const uint64_t meta_off = get_u64(bytes, e), meta_len = get_u32(bytes, e + 8);
    const uint64_t data_off = get_u64(bytes, e + 16), packed = get_u64(bytes, e + 24);
    const uint64_t unpacked = get_u64(bytes, e + 32);
    auto in_file = [&](uint64_t off, uint64_t len) { return off >= table_end && off <= size && len <= size - off; };
    if (!in_file(meta_off, meta_len))
      throw fail(e, str_cat("variant ", i, ": metadata [", meta_off, ", +", meta_len, ") lies outside the file (", size,
                            " bytes)"));
    if (!in_file(data_off, packed))
      throw fail(e + 16, str_cat("variant ", i, ": data [", data_off, ", +", packed, ") lies outside the file (", size,
                                 " bytes)"));
    const uint32_t meta_crc = crc32_of(bytes.data() + meta_off, meta_len);
    if (meta_crc != get_u32(bytes, e + 12))
      throw fail(meta_off, str_cat("variant ", i, ": metadata CRC-32 mismatch (stored ", hex32(get_u32(bytes, e + 12)),
                                   ", computed ", hex32(meta_crc), "): the file is corrupt"));
    const uint32_t data_crc = crc32_of(bytes.data() + data_off, packed);
    if (data_crc != get_u32(bytes, e + 40))
      throw fail(data_off, str_cat("variant ", i, ": data CRC-32 mismatch (stored ", hex32(get_u32(bytes, e + 40)),
                                   ", computed ", hex32(data_crc), "): the file is corrupt"));

    VariantInfo info;
    try {
      const YAML::Node m = YAML::Load(bytes.substr(meta_off, meta_len));
      if (!m.IsMap() || !m["name"] || !m["name"].IsScalar()) throw fail(meta_off, "no \"name\"");
      info.name = m["name"].as<std::string>();
      info.level = read_int(m, "level");
      info.sparsity = read_double(m, "sparsity", VariantInfo::kNaN);
      info.accuracy = read_double(m, "accuracy", VariantInfo::kNaN);
      info.params = read_int(m, "params");
      info.macs = read_int(m, "macs");
      info.peak_memory_bytes = read_int(m, "peak_memory_bytes");
      info.latency_ms = read_double(m, "latency_ms", VariantInfo::kNaN);
    } catch (const YAML::Exception& ex) {
      throw fail(meta_off, str_cat("variant ", i, ": metadata is not a JSON object: ", ex.msg));
    } catch (const DataError&) {
      throw fail(meta_off, str_cat("variant ", i, ": metadata has no \"name\""));
    }
    info.compressed_bytes = static_cast<int64_t>(packed);  // the table is authoritative
    info.uncompressed_bytes = static_cast<int64_t>(unpacked);
    p.variants_.push_back(std::move(info));
    p.entries_.push_back({data_off, packed, unpacked});
  }
  p.bytes_ = std::move(bytes);
  return p;
}

const VariantInfo& Portfolio::variant(size_t i) const {
  TP_CHECK(i < variants_.size(), where_, ": variant ", i, " does not exist (the portfolio has ", variants_.size(),
           " variants, 0..", variants_.size() - 1, ")");
  return variants_[i];
}

std::string Portfolio::inflate(size_t i) const {
  const VariantInfo& info = variant(i);
  const Entry& e = entries_[i];
  std::string out(e.uncompressed, '\0');
  uLongf len = static_cast<uLongf>(e.uncompressed);
  const int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &len,
                            reinterpret_cast<const Bytef*>(bytes_.data() + e.data_offset), static_cast<uLong>(e.compressed));
  if (rc != Z_OK || len != e.uncompressed)
    throw DataError(str_cat(where_, ": byte ", e.data_offset, ": variant ", i, " (\"", info.name,
                            "\") does not inflate to its ", e.uncompressed, " bytes (zlib: ", zError(rc), ", got ", len,
                            " bytes)"));
  return out;
}

SwitchStats Portfolio::switch_to(size_t i, SwitchOrder order) {
  const VariantInfo& info = variant(i);
  SwitchStats s;
  s.variant = i;
  if (active_index_ && *active_index_ == i) return s;
  const auto t0 = std::chrono::steady_clock::now();
  if (order == SwitchOrder::kReleaseThenLoad) {
    active_ = GraphModule(nullptr);
    active_index_.reset();
  }
  GraphModule model{nullptr};
  {
    std::string raw = inflate(i);
    s.inflate_seconds = seconds_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    model = load_model_bytes(std::move(raw), str_cat(where_, ": variant ", i, " (\"", info.name, "\")"));
    model->eval();
    s.load_seconds = seconds_since(t1);
  }
  active_ = model;  // drops the previous variant (unless a caller still holds it)
  active_index_ = i;
  s.seconds = seconds_since(t0);
  return s;
}

GraphModule Portfolio::active() const {
  TP_CHECK(active_index_.has_value(), where_, ": no active variant; call switch_to() first");
  return active_;
}

}  // namespace tinyprune
