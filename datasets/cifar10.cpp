#include "datasets/cifar10.h"

#include <torch/torch.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace tinyprune {

namespace fs = std::filesystem;

std::vector<std::string> cifar10_class_names() {
  return {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
}

ImageStore read_cifar10_files(const std::vector<std::string>& paths) {
  TP_CHECK(!paths.empty(), "read_cifar10_files: no files given");
  // Sizes first, so the store is allocated once and every file's problems surface before reading.
  std::vector<int64_t> records;
  int64_t total = 0;
  for (const auto& p : paths) {
    std::error_code ec;
    TP_CHECK_T(DataError, fs::is_regular_file(p, ec), p, ": file not found");
    const auto bytes = static_cast<int64_t>(fs::file_size(p, ec));
    TP_CHECK_T(DataError, !ec, p, ": cannot read size: ", ec.message());
    TP_CHECK_T(DataError, bytes > 0 && bytes % kCifarRecordBytes == 0, p, ": size ", bytes,
               " bytes is not a positive multiple of the ", kCifarRecordBytes,
               "-byte CIFAR-10 record (1 label byte + 3072 pixel bytes)");
    records.push_back(bytes / kCifarRecordBytes);
    total += records.back();
  }
  ImageStore store;
  store.class_names = cifar10_class_names();
  store.images = torch::empty({total, 3, 32, 32}, torch::kUInt8);
  store.labels = torch::empty({total}, torch::kInt64);
  uint8_t* images = store.images.data_ptr<uint8_t>();
  int64_t* labels = store.labels.data_ptr<int64_t>();
  int64_t at = 0;
  std::vector<char> buf;
  for (size_t f = 0; f < paths.size(); ++f) {
    const std::string& p = paths[f];
    std::ifstream in(p, std::ios::binary);
    TP_CHECK_T(DataError, in.good(), p, ": cannot open: ", std::strerror(errno));
    buf.resize(static_cast<size_t>(records[f] * kCifarRecordBytes));
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    TP_CHECK_T(DataError, in.gcount() == static_cast<std::streamsize>(buf.size()), p, ": short read: expected ",
               buf.size(), " bytes, got ", in.gcount());
    for (int64_t r = 0; r < records[f]; ++r, ++at) {
      const auto* rec = reinterpret_cast<const uint8_t*>(buf.data()) + r * kCifarRecordBytes;
      TP_CHECK_T(DataError, rec[0] < 10, p, ": record ", r, " (byte offset ", r * kCifarRecordBytes, ") has label ",
                 int{rec[0]}, ", expected 0..9");
      labels[at] = rec[0];
      std::memcpy(images + at * kCifarImageBytes, rec + 1, kCifarImageBytes);
    }
  }
  return store;
}

DataSplits load_cifar10(const DataOptions& opts, uint64_t seed) {
  TP_CHECK_T(ConfigError, !opts.root.empty(), "data.root: required for cifar10 (the directory holding ",
             "data_batch_1.bin ... data_batch_5.bin and test_batch.bin)");
  fs::path root = opts.root;
  std::error_code ec;
  if (!fs::exists(root / "data_batch_1.bin", ec) && fs::exists(root / "cifar-10-batches-bin" / "data_batch_1.bin", ec))
    root /= "cifar-10-batches-bin";
  std::vector<std::string> train_files;
  for (int i = 1; i <= 5; ++i) train_files.push_back((root / str_cat("data_batch_", i, ".bin")).string());
  ImageStore train = read_cifar10_files(train_files);
  ImageStore test = read_cifar10_files({(root / "test_batch.bin").string()});
  return build_splits(std::move(train), std::move(test), opts, seed,
                      {"cifar10", {0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}});
}

}  // namespace tinyprune
