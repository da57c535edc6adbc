// Per-sample transforms applied while a batch is assembled: random crop with zero padding,
// horizontal flip and per-channel normalization, fused into one pass over the uint8 pixels.
//
// Why fused and table-driven: a batch is B small images; per-sample LibTorch ops would cost more
// in dispatch than in arithmetic. Normalization of a uint8 value v of channel c is a 256-entry
// lookup, out = (v / 255 - mean[c]) / std[c], and crop/flip only change which source pixel is read,
// so one loop writes each output float exactly once.
//
//   NormalizeTable norm({0.2860}, {0.3530});
//   AugmentParams aug{/*crop_padding=*/2, /*horizontal_flip=*/true};
//   SampleAugment a = draw_augment(aug, augment_seed, sample_index);
//   transform_sample(src_u8, {1, 28, 28}, a, norm, dst_f32);
//
// All functions are pure and thread-safe; NormalizeTable is immutable after construction.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.h"

namespace tinyprune {

// Maps uint8 pixel values to normalized floats, per channel.
class NormalizeTable {
 public:
  // `mean` and `std` in [0, 1] pixel units (as torchvision's Normalize after ToTensor); each has
  // `channels` values or exactly one (used for every channel). std > 0. Throws ConfigError.
  NormalizeTable(std::vector<double> mean, std::vector<double> std, int64_t channels);
  int64_t channels() const { return static_cast<int64_t>(tables_.size()); }
  // 256 floats: entry v is the normalized value of pixel v in channel c.
  const float* table(int64_t c) const { return tables_[static_cast<size_t>(c)].data(); }
  const std::vector<double>& mean() const { return mean_; }  // expanded to `channels` values
  const std::vector<double>& std() const { return std_; }
  std::string describe() const;  // "mean=[0.286] std=[0.353]"

 private:
  std::vector<double> mean_, std_;
  std::vector<std::array<float, 256>> tables_;
};

// Random augmentation of the training split (torchvision's RandomCrop(padding=p) then
// RandomHorizontalFlip()).
struct AugmentParams {
  int64_t crop_padding = 0;  // pixels of zero padding on every side; 0 = no crop
  bool horizontal_flip = false;
  bool any() const { return crop_padding > 0 || horizontal_flip; }
  std::string describe() const;  // "random_crop(padding=4) horizontal_flip" or "none"
};

// The random draw for one sample. The crop window of size H x W starts at (dy, dx) in the padded
// image of size (H + 2p) x (W + 2p); dy, dx in [0, 2p]. (p, p) with flip=false is the identity.
struct SampleAugment {
  int64_t dy = 0, dx = 0;
  int64_t padding = 0;
  bool flip = false;
};

// Identity transform (what val/test and get_unaugmented_batch use).
inline SampleAugment no_augment() { return SampleAugment{}; }
// Draws sample `index`'s transform from (augment_seed, index) only.
SampleAugment draw_augment(const AugmentParams& params, uint64_t augment_seed, int64_t index);

// Reads one image `src` (uint8 [C,H,W] contiguous, C == norm.channels()) and writes the cropped,
// flipped, normalized float image to `dst` ([C,H,W] contiguous). Padding pixels are 0 before
// normalization. Output pixel (y, x) = crop(y, flip ? W-1-x : x) where
// crop(y, x) = padded(y + dy, x + dx) = src(y + dy - p, x + dx - p) or 0 outside the source.
void transform_sample(const uint8_t* src, const TensorShape& shape, const SampleAugment& aug,
                      const NormalizeTable& norm, float* dst);

}  // namespace tinyprune
