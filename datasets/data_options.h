// DataOptions: the `data` section of an experiment file.
//
//   data:
//     name: fashion_mnist        # a DatasetRegistry name
//     root: /path/to/files       # "" = the dataset's default location (if it has one)
//     val_fraction: 0.1          # [0, 1): carved from the training set; 0 = no validation split
//     resize: 32                 # 0 = native size, else square S x S (image_folder requires it)
//     grayscale: false           # convert RGB data to one channel
//     mean: [0.5]                # per channel (or one value for all); empty = dataset default
//     std: [0.5]
//     random_crop_padding: 4     # train augmentation: zero-pad then crop back to H x W
//     horizontal_flip: true      # train augmentation: mirror with probability 1/2
//     limit_train: 0             # 0 = all; else a seeded random subset (before the val split)
//     limit_test: 0
//     synthetic_train: 512       # `synthetic` only
//     ...
//
// The YAML keys are the field names. from_yaml validates each key (type, range) with file:line
// errors; validate() repeats the range checks for options built in code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinyprune {

class ConfigNode;

struct DataOptions {
  std::string name = "fashion_mnist";
  std::string root;            // "" = dataset default
  double val_fraction = 0.1;   // [0, 1)
  int64_t resize = 0;          // 0 = native size; else square resize (pixels), applied at load time
  bool grayscale = false;      // RGB -> 1 channel (ITU-R 601 luma); no-op for 1-channel data
  std::vector<double> mean, std;  // empty = dataset defaults; size 1 (broadcast) or C; std > 0
  int64_t random_crop_padding = 0;  // pixels, >= 0; train split only
  bool horizontal_flip = false;     // train split only
  int64_t limit_train = 0, limit_test = 0;  // 0 = all; for quick runs/tests
  // synthetic:
  int64_t synthetic_train = 512, synthetic_test = 128, synthetic_classes = 10, synthetic_channels = 1,
          synthetic_size = 16;
  // Seeds the synthetic images themselves (not the split), so runs with different seeds see the
  // same data, as with a dataset on disk.
  int64_t synthetic_seed = 0;
  // Difficulty (see synthetic.h): pixel noise std in [0, 1] and phase jitter in [0, pi] radians.
  double synthetic_noise = 0.15, synthetic_phase_jitter = 1.0;

  // Reads the map `node` (the `data` section). `name` must be registered in
  // DatasetRegistry::global() at the time of the call. Throws ConfigError with file:line.
  static DataOptions from_yaml(ConfigNode& node);
  // Range checks (the ones from_yaml does); throws ConfigError naming the `data.<key>`.
  void validate() const;
};

}  // namespace tinyprune
