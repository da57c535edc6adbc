#include "datasets/image_folder.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/logging.h"
#include "datasets/image_io.h"
#include "datasets/image_ops.h"
#include "datasets/seeding.h"

namespace tinyprune {

namespace fs = std::filesystem;

namespace {

bool is_hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

bool has_image_extension(const fs::path& p) {
  static const std::set<std::string> kExtensions = {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm",
                                                     ".pnm", ".tif", ".tiff", ".webp"};
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return kExtensions.count(ext) != 0;
}

void require_directory(const fs::path& dir) {
  std::error_code ec;
  TP_CHECK_T(DataError, fs::is_directory(dir, ec), dir.string(), ": directory not found");
}

// Decodes and resizes one file into `dst` (uint8 [C, size, size]).
void decode_into(const std::string& path, const ImageFolderRead& how, uint8_t* dst) {
  torch::Tensor img = read_image(path, how.grayscale).unsqueeze(0);
  img = resize_images(img, how.size, how.size);
  std::memcpy(dst, img.data_ptr<uint8_t>(), static_cast<size_t>(img.numel()));
}

}  // namespace

std::vector<std::string> list_class_folders(const std::string& dir) {
  require_directory(dir);
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;  // a broken link is skipped, not an error of the listing
    if (it->is_directory(entry_ec) && !is_hidden(it->path())) names.push_back(it->path().filename().string());
  }
  TP_CHECK_T(DataError, !ec, dir, ": cannot list directory: ", ec.message());
  std::sort(names.begin(), names.end());
  TP_CHECK_T(DataError, !names.empty(), dir, ": no class sub-folders (expected ", dir, "/<class>/<image files>)");
  return names;
}

ImageStore read_image_folder(const std::string& dir, const std::vector<std::string>& class_names,
                             const ImageFolderRead& how, bool allow_missing_classes) {
  TP_CHECK(how.size > 0, "read_image_folder: size must be > 0, got ", how.size);
  const std::vector<std::string> present = list_class_folders(dir);
  for (const auto& name : present)
    TP_CHECK_T(DataError, std::find(class_names.begin(), class_names.end(), name) != class_names.end(),
               (fs::path(dir) / name).string(), ": class folder not present in the training split");

  std::vector<std::string> files;
  std::vector<int64_t> file_labels;
  int64_t ignored = 0;
  for (size_t k = 0; k < class_names.size(); ++k) {
    const fs::path class_dir = fs::path(dir) / class_names[k];
    std::error_code ec;
    if (!fs::is_directory(class_dir, ec)) {
      TP_CHECK_T(DataError, allow_missing_classes, class_dir.string(), ": class folder not found");
      continue;
    }
    std::vector<std::string> class_files;
    for (fs::directory_iterator it(class_dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code entry_ec;
      if (!it->is_regular_file(entry_ec) || is_hidden(it->path())) continue;
      if (has_image_extension(it->path()))
        class_files.push_back(it->path().string());
      else
        ++ignored;
    }
    TP_CHECK_T(DataError, !ec, class_dir.string(), ": cannot list directory: ", ec.message());
    TP_CHECK_T(DataError, !class_files.empty(), class_dir.string(),
               ": empty class folder (no .png/.jpg/.jpeg/.bmp/.pgm/.ppm/.pnm/.tif/.tiff/.webp files)");
    std::sort(class_files.begin(), class_files.end());  // directory order is unspecified
    for (auto& f : class_files) {
      files.push_back(std::move(f));
      file_labels.push_back(static_cast<int64_t>(k));
    }
  }
  if (ignored > 0) get_logger("data")->debug("image_folder dir={} ignored_files={}", dir, ignored);

  // Limit before decoding: a quick run on a big folder should not decode every image.
  const auto n_all = static_cast<int64_t>(files.size());
  const std::vector<int64_t> chosen = random_subset(n_all, how.limit, how.limit_seed);
  const auto n = static_cast<int64_t>(chosen.size());
  const int64_t channels = how.grayscale ? 1 : 3;
  const int64_t sample_bytes = channels * how.size * how.size;

  ImageStore store;
  store.class_names = class_names;
  store.images = torch::empty({n, channels, how.size, how.size}, torch::kUInt8);
  store.labels = torch::empty({n}, torch::kInt64);
  uint8_t* images = store.images.data_ptr<uint8_t>();
  int64_t* labels = store.labels.data_ptr<int64_t>();
  std::vector<std::string> errors(static_cast<size_t>(n));
  // Exceptions must not escape a parallel region; errors are collected and the first one (in file
  // order, so the message does not depend on scheduling) is thrown afterwards.
  at::parallel_for(0, n, /*grain_size=*/16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto f = static_cast<size_t>(chosen[static_cast<size_t>(i)]);
      labels[i] = file_labels[f];
      try {
        decode_into(files[f], how, images + i * sample_bytes);
      } catch (const DataError& e) {
        errors[static_cast<size_t>(i)] = e.what();  // already names the file
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(i)] = str_cat(files[f], ": ", e.what());
      }
    }
  });
  for (const auto& e : errors) TP_CHECK_T(DataError, e.empty(), e);
  return store;
}

DataSplits load_image_folder(const DataOptions& opts, uint64_t seed) {
  TP_CHECK_T(ConfigError, !opts.root.empty(), "data.root: required for image_folder (the directory holding ",
             "train/<class>/... and test/<class>/...)");
  TP_CHECK_T(ConfigError, opts.resize > 0, "data.resize: required for image_folder (images are resized to ",
             "resize x resize pixels), got ", opts.resize);
  const fs::path root = opts.root;
  require_directory(root / "train");
  require_directory(root / "test");
  const std::vector<std::string> classes = list_class_folders((root / "train").string());
  ImageFolderRead how{opts.resize, opts.grayscale, opts.limit_train, mix_seed(seed, SeedStream::kTrainLimit)};
  ImageStore train = read_image_folder((root / "train").string(), classes, how, /*allow_missing_classes=*/false);
  how.limit = opts.limit_test;
  how.limit_seed = mix_seed(seed, SeedStream::kTestLimit);
  ImageStore test = read_image_folder((root / "test").string(), classes, how, /*allow_missing_classes=*/true);
  // Limits, grayscale and resize are already applied; build_splits must not repeat them.
  DataOptions rest = opts;
  rest.limit_train = rest.limit_test = 0;
  rest.grayscale = false;
  rest.resize = 0;
  return build_splits(std::move(train), std::move(test), rest, seed, {"image_folder", {0.5}, {0.5}});
}

}  // namespace tinyprune
