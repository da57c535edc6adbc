#include "datasets/idx_reader.h"

#include <torch/torch.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <climits>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace tinyprune {

namespace {

// RAII gzFile that turns zlib failures into DataErrors naming the file.
class GzReader {
 public:
  explicit GzReader(std::string path) : path_(std::move(path)) {
    std::error_code ec;
    TP_CHECK_T(DataError, std::filesystem::is_regular_file(path_, ec), path_, ": file not found");
    errno = 0;
    file_ = gzopen(path_.c_str(), "rb");
    TP_CHECK_T(DataError, file_ != nullptr, path_, ": cannot open: ", errno ? std::strerror(errno) : "out of memory");
    gzbuffer(file_, 1 << 18);  // larger than the 8 KiB default: fewer read() calls on big files
  }
  ~GzReader() {
    if (file_) gzclose(file_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads up to n bytes; returns how many arrived (< n only at the end of the data). A gzip
  // stream that ends early counts as end of data (the caller reports the truncation); corrupt
  // compressed data throws.
  int64_t read(void* buf, int64_t n) {
    int64_t total = 0;
    auto* out = static_cast<unsigned char*>(buf);
    while (total < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n - total, INT_MAX / 2));
      const int got = gzread(file_, out + total, chunk);
      if (got < 0) {
        int err = Z_OK;
        const char* msg = gzerror(file_, &err);
        if (err == Z_BUF_ERROR) break;  // "unexpected end of file": a truncated .gz
        throw DataError(str_cat(path_, ": read error: ", err == Z_ERRNO ? std::strerror(errno) : msg));
      }
      if (got == 0) break;
      total += got;
    }
    return total;
  }

  // True when at least one more byte of data follows.
  bool has_more() {
    unsigned char b = 0;
    return read(&b, 1) == 1;
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

uint32_t big_endian_u32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

// Reads the magic and `dims` dimensions. The magic is checked before the dimensions are read, so
// a file of the wrong kind is reported as such even when it is shorter than the expected header.
std::vector<int64_t> read_header(GzReader& in, uint32_t expected_magic, int dims, const char* kind) {
  const int64_t header_bytes = 4 * (1 + dims);
  unsigned char word[4];
  const int64_t got = in.read(word, 4);
  TP_CHECK_T(DataError, got == 4, in.path(), ": truncated header: an IDX ", kind, " file starts with ", header_bytes,
             " header bytes, file holds ", got);
  const uint32_t magic = big_endian_u32(word);
  if (magic != expected_magic) {
    std::string hint;
    if (magic == kIdxImagesMagic) hint = " (this is an IDX image file)";
    if (magic == kIdxLabelsMagic) hint = " (this is an IDX label file)";
    if ((magic >> 8) == 0x1F8B08) hint = " (gzip data inside a gzip file? decompress it once)";
    throw DataError(str_cat(in.path(), ": bad magic number ", hex32(magic), ", expected ", hex32(expected_magic),
                            " (IDX unsigned-byte ", kind, ")", hint));
  }
  std::vector<int64_t> d(static_cast<size_t>(dims));
  for (int i = 0; i < dims; ++i) {
    const int64_t n = in.read(word, 4);
    TP_CHECK_T(DataError, n == 4, in.path(), ": truncated header: an IDX ", kind, " file starts with ", header_bytes,
               " header bytes, file holds ", 4 * (i + 1) + n);
    d[static_cast<size_t>(i)] = big_endian_u32(word);
  }
  return d;
}

// Reads `records` records of `record_bytes` into `out`; the truncation message counts whole records.
void read_payload(GzReader& in, void* out, int64_t record_bytes, int64_t records, const std::string& what) {
  const int64_t got = in.read(out, record_bytes * records);
  TP_CHECK_T(DataError, got == record_bytes * records, in.path(), ": truncated: header declares ", records, " ", what,
             ", file holds ", got / record_bytes);
  TP_CHECK_T(DataError, !in.has_more(), in.path(), ": more data than the header declares (", records, " ", what, ")");
}

}  // namespace

torch::Tensor read_idx_images(const std::string& path) {
  GzReader in(path);
  const auto d = read_header(in, kIdxImagesMagic, 3, "images [N, rows, cols]");
  const int64_t n = d[0], rows = d[1], cols = d[2];
  TP_CHECK_T(DataError, n > 0, path, ": header declares 0 images");
  // Bounds guard against corrupt headers asking for absurd allocations.
  TP_CHECK_T(DataError, rows > 0 && cols > 0 && rows <= 4096 && cols <= 4096, path,
             ": implausible image size ", rows, "x", cols, " in the header (expected 1..4096)");
  TP_CHECK_T(DataError, n * rows * cols <= (int64_t{1} << 34), path, ": header declares ", n, " images of ", rows, "x",
             cols, " (", n * rows * cols, " bytes), more than the 16 GiB this reader accepts");
  auto images = torch::empty({n, 1, rows, cols}, torch::kUInt8);
  read_payload(in, images.data_ptr<uint8_t>(), rows * cols, n, str_cat("images of ", rows, "x", cols));
  return images;
}

torch::Tensor read_idx_labels(const std::string& path, int64_t num_classes) {
  GzReader in(path);
  const int64_t n = read_header(in, kIdxLabelsMagic, 1, "labels [N]")[0];
  TP_CHECK_T(DataError, n > 0, path, ": header declares 0 labels");
  std::vector<uint8_t> bytes(static_cast<size_t>(n));
  read_payload(in, bytes.data(), 1, n, "labels");
  auto labels = torch::empty({n}, torch::kInt64);
  int64_t* l = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    l[i] = bytes[static_cast<size_t>(i)];
    TP_CHECK_T(DataError, l[i] < num_classes, path, ": label ", l[i], " at index ", i, " is outside [0, ", num_classes,
               ")");
  }
  return labels;
}

ImageStore read_idx_dataset(const std::string& images_path, const std::string& labels_path,
                            std::vector<std::string> class_names) {
  ImageStore store;
  store.images = read_idx_images(images_path);
  store.labels = read_idx_labels(labels_path, static_cast<int64_t>(class_names.size()));
  store.class_names = std::move(class_names);
  TP_CHECK_T(DataError, store.images.size(0) == store.labels.size(0), images_path, ": holds ", store.images.size(0),
             " images but ", labels_path, " holds ", store.labels.size(0), " labels");
  return store;
}

}  // namespace tinyprune
