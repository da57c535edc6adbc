#include "datasets/synthetic.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "datasets/seeding.h"

namespace tinyprune {

namespace {

constexpr double kPi = 3.14159265358979323846;

struct ClassPattern {
  double kx = 0, ky = 0;       // radians per pixel along x and y
  std::vector<double> phase;   // per channel
};

std::vector<ClassPattern> make_patterns(const SyntheticSpec& spec) {
  SplitMix64 rng(mix_seed(spec.seed, SeedStream::kSynthetic, {0xC1A55ull}));
  std::vector<ClassPattern> patterns(static_cast<size_t>(spec.classes));
  const double step = kPi / static_cast<double>(spec.classes);
  for (int64_t k = 0; k < spec.classes; ++k) {
    ClassPattern& p = patterns[static_cast<size_t>(k)];
    // Evenly spread orientations (with a little jitter) keep neighbouring classes apart.
    const double theta = step * (static_cast<double>(k) + 0.3 * (rng.uniform01() - 0.5));
    const double cycles = 1.5 + 1.5 * rng.uniform01();
    const double k_abs = 2.0 * kPi * cycles / static_cast<double>(spec.size);
    p.kx = k_abs * std::cos(theta);
    p.ky = k_abs * std::sin(theta);
    for (int64_t c = 0; c < spec.channels; ++c) p.phase.push_back(2.0 * kPi * rng.uniform01());
  }
  return patterns;
}

}  // namespace

ImageStore generate_synthetic(const SyntheticSpec& spec, SyntheticSplit split, int64_t samples) {
  TP_CHECK(spec.classes >= 2 && spec.channels >= 1 && spec.size >= 1 && samples >= 1,
           "generate_synthetic: bad spec classes=", spec.classes, " channels=", spec.channels, " size=", spec.size,
           " samples=", samples);
  const std::vector<ClassPattern> patterns = make_patterns(spec);
  const int64_t C = spec.channels, S = spec.size, plane = S * S;
  ImageStore store;
  for (int64_t k = 0; k < spec.classes; ++k) store.class_names.push_back(str_cat("class", k));
  store.images = torch::empty({samples, C, S, S}, torch::kUInt8);
  store.labels = torch::empty({samples}, torch::kInt64);
  uint8_t* images = store.images.data_ptr<uint8_t>();
  int64_t* labels = store.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < samples; ++i) {
    const int64_t k = i % spec.classes;
    labels[i] = k;
    const ClassPattern& p = patterns[static_cast<size_t>(k)];
    SplitMix64 rng(mix_seed(spec.seed, SeedStream::kSynthetic, {static_cast<uint64_t>(split) + 1, static_cast<uint64_t>(i)}));
    const double contrast = 0.25 + 0.12 * rng.uniform01();
    const double jitter = spec.phase_jitter * (2.0 * rng.uniform01() - 1.0);
    for (int64_t c = 0; c < C; ++c) {
      uint8_t* out = images + (i * C + c) * plane;
      const double phase = p.phase[static_cast<size_t>(c)] + jitter;
      for (int64_t y = 0; y < S; ++y) {
        for (int64_t x = 0; x < S; ++x) {
          double v = 0.5 + contrast * std::sin(p.kx * static_cast<double>(x) + p.ky * static_cast<double>(y) + phase) +
                     spec.noise_std * rng.normal();
          v = std::clamp(v, 0.0, 1.0);
          out[y * S + x] = static_cast<uint8_t>(std::lround(v * 255.0));
        }
      }
    }
  }
  return store;
}

DataSplits load_synthetic(const DataOptions& opts, uint64_t seed) {
  const SyntheticSpec spec{opts.synthetic_classes, opts.synthetic_channels, opts.synthetic_size,
                           static_cast<uint64_t>(opts.synthetic_seed), opts.synthetic_noise,
                           opts.synthetic_phase_jitter};
  ImageStore train = generate_synthetic(spec, SyntheticSplit::kTrain, opts.synthetic_train);
  ImageStore test = generate_synthetic(spec, SyntheticSplit::kTest, opts.synthetic_test);
  return build_splits(std::move(train), std::move(test), opts, seed, {"synthetic", {0.5}, {0.5}});
}

}  // namespace tinyprune
