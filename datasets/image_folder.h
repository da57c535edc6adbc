// Image folder: one sub-folder per class, any mix of common image formats.
//
//   <root>/train/<class>/*.png|jpg|jpeg|bmp|pgm|ppm|pnm|tif|tiff|webp
//   <root>/test/<class>/...
// Class names are the train sub-folder names, sorted (label = position); the test split may omit
// classes but not add new ones. Files with other extensions and hidden entries are ignored.
// Images are decoded with OpenCV, converted to RGB (or grayscale with data.grayscale) and resized
// to data.resize x data.resize (required) at load time. Normalization default: 0.5 / 0.5.
// Errors (DataError, naming the path): missing folder, no class folders, an empty class folder,
// an image OpenCV cannot decode.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/data_options.h"
#include "datasets/image_store.h"
#include "datasets/splits.h"

namespace tinyprune {

// Sorted names of the non-hidden sub-directories of `dir`.
std::vector<std::string> list_class_folders(const std::string& dir);

struct ImageFolderRead {
  int64_t size = 0;        // square side, pixels (> 0)
  bool grayscale = false;  // 1 channel instead of RGB
  int64_t limit = 0;       // 0 = all; else a random subset of this many files, chosen before decoding
  uint64_t limit_seed = 0;
};

// Reads `dir`/<class>/* for every name in `class_names` (label = position). A class folder that is
// missing is skipped when `allow_missing_classes`, else an error; sub-folders of `dir` that are not
// in `class_names` are an error.
ImageStore read_image_folder(const std::string& dir, const std::vector<std::string>& class_names,
                             const ImageFolderRead& how, bool allow_missing_classes);

// DatasetFactory (registered as "image_folder"); data.root and data.resize are required.
DataSplits load_image_folder(const DataOptions& opts, uint64_t seed);

}  // namespace tinyprune
