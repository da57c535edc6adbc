// Helpers shared by the datasets/ tests: a self-deleting temp directory, file writers (plain and
// gzip), IDX encoders and an exception-message matcher.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tinyprune::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tinyprune_data_XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    if (!made) throw std::runtime_error("mkdtemp failed");
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

using Bytes = std::vector<uint8_t>;

inline uint32_t crc32_of(const Bytes& data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t byte : data) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// A valid gzip file holding `data` in uncompressed ("stored") deflate blocks. The tests link only
// the library, not zlib, so they build gzip files by hand; real compressed data is covered by the
// Fashion-MNIST test.
inline Bytes gzip_stored(const Bytes& data) {
  Bytes out = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};  // magic, deflate, no flags, mtime, xfl, OS
  size_t pos = 0;
  do {
    const size_t len = std::min<size_t>(65535, data.size() - pos);
    const bool last = pos + len == data.size();
    out.push_back(last ? 1 : 0);  // BFINAL, BTYPE = 00 (stored)
    out.push_back(static_cast<uint8_t>(len));
    out.push_back(static_cast<uint8_t>(len >> 8));
    out.push_back(static_cast<uint8_t>(~len));
    out.push_back(static_cast<uint8_t>(~len >> 8));
    out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(pos), data.begin() + static_cast<std::ptrdiff_t>(pos + len));
    pos += len;
  } while (pos < data.size());
  const uint32_t crc = crc32_of(data), size = static_cast<uint32_t>(data.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(size >> (8 * i)));
  return out;
}

inline void write_bytes(const std::string& path, const Bytes& bytes, bool gzip = false) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const Bytes& out_bytes = gzip ? gzip_stored(bytes) : bytes;
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(out_bytes.data()), static_cast<std::streamsize>(out_bytes.size()));
}

inline void append_u32_be(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 24));
  b.push_back(static_cast<uint8_t>(v >> 16));
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

// An IDX image file: header declaring `declared` images of rows x cols, then `pixels` as given
// (pass fewer or more bytes than declared to build corrupt files).
inline Bytes idx_images(uint32_t declared, uint32_t rows, uint32_t cols, const Bytes& pixels,
                        uint32_t magic = 0x00000803) {
  Bytes b;
  append_u32_be(b, magic);
  append_u32_be(b, declared);
  append_u32_be(b, rows);
  append_u32_be(b, cols);
  b.insert(b.end(), pixels.begin(), pixels.end());
  return b;
}

inline Bytes idx_labels(uint32_t declared, const Bytes& labels, uint32_t magic = 0x00000801) {
  Bytes b;
  append_u32_be(b, magic);
  append_u32_be(b, declared);
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

}  // namespace tinyprune::testing

// Expects `statement` to throw `type` whose what() contains `substr`.
#define EXPECT_THROW_MSG(statement, type, substr)                                          \
  do {                                                                                     \
    try {                                                                                  \
      statement;                                                                           \
      ADD_FAILURE() << "expected " #type " containing \"" << (substr) << "\"";             \
    } catch (const type& e_) {                                                             \
      EXPECT_NE(std::string(e_.what()).find(substr), std::string::npos)                    \
          << "message: " << e_.what() << "\nexpected to contain: " << (substr);            \
    }                                                                                      \
  } while (0)
