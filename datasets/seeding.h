// Deterministic, platform-independent randomness for the data layer.
//
// std::shuffle and std::uniform_int_distribution are implementation-defined, so the same seed
// would give different splits and orders with libstdc++ and libc++. Everything random in
// datasets/ (validation split, subsets, epoch order, augmentation, synthetic data) therefore uses
// this SplitMix64 generator and the seed-mixing function below, never <random> distributions.
//
//   SplitMix64 rng(mix_seed(run_seed, epoch));
//   int64_t dx = rng.uniform(2 * padding + 1);
//
// Header-only; SplitMix64 is a value type (not thread-safe; give each thread its own).
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <numeric>
#include <utility>
#include <vector>

namespace tinyprune {

// SplitMix64's finalizer: a bijective 64-bit hash with good avalanche.
inline uint64_t splitmix64_hash(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Combines a seed with any number of integers (epoch, stream id, sample index) into a new seed.
// Order matters: mix_seed(s, {1, 2}) != mix_seed(s, {2, 1}).
inline uint64_t mix_seed(uint64_t seed, std::initializer_list<uint64_t> values) {
  uint64_t h = splitmix64_hash(seed);
  for (uint64_t v : values) h = splitmix64_hash(h ^ splitmix64_hash(v + 0x632BE59BD9B4E019ull));
  return h;
}

// Stream ids: independent random streams derived from one run seed.
enum class SeedStream : uint64_t {
  kValSplit = 1,
  kTrainLimit = 2,
  kTestLimit = 3,
  kEpochOrder = 4,
  kAugment = 5,
  kSynthetic = 6,
};
inline uint64_t mix_seed(uint64_t seed, SeedStream stream, std::initializer_list<uint64_t> values = {}) {
  uint64_t h = mix_seed(seed, {static_cast<uint64_t>(stream)});
  return values.size() == 0 ? h : mix_seed(h, values);
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform integer in [0, n); n >= 1. Lemire's multiply-shift: no modulo, negligible bias (< n/2^64).
  int64_t uniform(int64_t n) {
    return static_cast<int64_t>((static_cast<unsigned __int128>(next()) * static_cast<uint64_t>(n)) >> 64);
  }
  // Uniform double in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller; one value per call, simplicity over speed).
  double normal() {
    const double u1 = 1.0 - uniform01();  // (0, 1]: log is finite
    const double u2 = uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t state_;
};

// A uniformly random permutation of [0, n) (Fisher-Yates driven by SplitMix64(seed)).
inline std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), int64_t{0});
  SplitMix64 rng(seed);
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[static_cast<size_t>(i)], p[static_cast<size_t>(rng.uniform(i + 1))]);
  return p;
}

}  // namespace tinyprune
