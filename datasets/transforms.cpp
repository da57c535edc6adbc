#include "datasets/transforms.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "datasets/seeding.h"

namespace tinyprune {

namespace {

std::vector<double> expand(const std::vector<double>& v, int64_t channels, const char* what) {
  if (static_cast<int64_t>(v.size()) == channels) return v;
  if (v.size() == 1) return std::vector<double>(static_cast<size_t>(channels), v[0]);
  throw ConfigError(str_cat("data.", what, ": expected 1 or ", channels, " values (one per channel), got ", v.size()));
}

std::string list_string(const std::vector<double>& v) {
  std::ostringstream os;
  os.precision(4);
  os << "[";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
  os << "]";
  return os.str();
}

}  // namespace

NormalizeTable::NormalizeTable(std::vector<double> mean, std::vector<double> std, int64_t channels) {
  TP_CHECK_T(ConfigError, channels >= 1, "normalization needs at least one channel, got ", channels);
  mean_ = expand(mean, channels, "mean");
  std_ = expand(std, channels, "std");
  tables_.resize(static_cast<size_t>(channels));
  for (size_t c = 0; c < tables_.size(); ++c) {
    TP_CHECK_T(ConfigError, std_[c] > 0.0, "data.std: expected values > 0, got ", std_[c]);
    for (int v = 0; v < 256; ++v)
      tables_[c][static_cast<size_t>(v)] = static_cast<float>((v / 255.0 - mean_[c]) / std_[c]);
  }
}

std::string NormalizeTable::describe() const { return "mean=" + list_string(mean_) + " std=" + list_string(std_); }

std::string AugmentParams::describe() const {
  if (!any()) return "none";
  std::string s;
  if (crop_padding > 0) s = str_cat("random_crop(padding=", crop_padding, ")");
  if (horizontal_flip) s += s.empty() ? "horizontal_flip" : " horizontal_flip";
  return s;
}

SampleAugment draw_augment(const AugmentParams& params, uint64_t augment_seed, int64_t index) {
  SampleAugment a;
  if (!params.any()) return a;
  SplitMix64 rng(mix_seed(augment_seed, {static_cast<uint64_t>(index)}));
  a.padding = params.crop_padding;
  if (params.crop_padding > 0) {
    a.dy = rng.uniform(2 * params.crop_padding + 1);
    a.dx = rng.uniform(2 * params.crop_padding + 1);
  }
  if (params.horizontal_flip) a.flip = (rng.next() >> 63) != 0;
  return a;
}

void transform_sample(const uint8_t* src, const TensorShape& shape, const SampleAugment& aug,
                      const NormalizeTable& norm, float* dst) {
  const int64_t H = shape.h, W = shape.w, HW = H * W;
  // Offsets of the crop window relative to the unpadded source.
  const int64_t oy = aug.dy - aug.padding, ox = aug.dx - aug.padding;
  const bool identity = oy == 0 && ox == 0 && !aug.flip;
  for (int64_t c = 0; c < shape.c; ++c) {
    const float* lut = norm.table(c);
    const uint8_t* s = src + c * HW;
    float* d = dst + c * HW;
    if (identity) {
      for (int64_t i = 0; i < HW; ++i) d[i] = lut[s[i]];
      continue;
    }
    const float zero = lut[0];
    // Output columns [x0, x1) read source columns inside [0, W); the rest are padding.
    const int64_t x0 = std::max<int64_t>(0, -ox), x1 = std::min<int64_t>(W, W - ox);
    for (int64_t y = 0; y < H; ++y) {
      const int64_t sy = y + oy;
      float* row = d + y * W;
      if (sy < 0 || sy >= H || x0 >= x1) {
        for (int64_t x = 0; x < W; ++x) row[x] = zero;
        continue;
      }
      const uint8_t* srow = s + sy * W;  // srow[x + ox] = source pixel of crop column x
      if (!aug.flip) {
        for (int64_t x = 0; x < x0; ++x) row[x] = zero;
        for (int64_t x = x0; x < x1; ++x) row[x] = lut[srow[x + ox]];
        for (int64_t x = x1; x < W; ++x) row[x] = zero;
      } else {
        // Output column x shows crop column W-1-x.
        for (int64_t x = 0; x < W; ++x) {
          const int64_t cx = W - 1 - x;
          row[x] = (cx >= x0 && cx < x1) ? lut[srow[cx + ox]] : zero;
        }
      }
    }
  }
}

}  // namespace tinyprune
