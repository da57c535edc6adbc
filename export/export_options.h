// ExportOptions: the `export` section of an experiment file (and the flags of `tinyprune export`).
//
//   export:
//     out: model.fwcs              # blob file; relative paths are relative to the run directory
//     header: true                 # also write a C header (blob array + sizes) for firmware
//     header_file: ""              # "" = the blob path with ".h" instead of ".fwcs"
//     header_symbol: model         # C prefix: model_blob[], MODEL_BLOB_SIZE, MODEL_ARENA_SIZE
//     test_images: 0               # embed N quantized test images + the host runtime's outputs
//     calibration_batches: 8       # training batches (unaugmented) for activation ranges
//     calibration_batch_size: 32
//     calibration_seed: 0          # which training images calibrate
//     fwcs: auto                   # conv storage: auto (FWCS iff smaller) | never | always
//     inplace_add: false           # residual Adds overwrite a dying summand (plan and PMU)
//     arena_alignment: 16          # arena offsets are multiples of this (4, 8, 16, 32 or 64)
//
// Filterlet keep masks ([Cout][KH][KW] per conv node name) are not YAML: pruners pass them in code.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>

namespace tinyprune {

class ConfigNode;

struct ExportOptions {
  std::string out = "model.fwcs";    // "" (code only, not YAML) = keep the blob in memory
  bool header = true;
  std::string header_file;
  std::string header_symbol = "model";
  int64_t test_images = 0;            // [0, 10000]
  int64_t calibration_batches = 8;    // [1, 100000]
  int64_t calibration_batch_size = 32;  // [1, 65536]
  uint64_t calibration_seed = 0;
  std::string fwcs = "auto";          // auto | never | always
  bool inplace_add = false;
  int64_t arena_alignment = 16;
  // Conv node name -> keep mask [Cout][KH][KW] (bool or 0/1); absent convs: a filterlet is kept
  // iff one of its int8 weights is non-zero.
  std::map<std::string, torch::Tensor> keep_masks;

  // Reads the keys above from `node` (absent keys keep their defaults). Throws ConfigError with
  // file:line:col for wrong types, out-of-range values, an empty `out`, a `header_symbol` that is
  // not a C identifier or an unknown `fwcs` value. Unknown keys are reported by the root's finish().
  static ExportOptions from_yaml(ConfigNode& node);
  // The same checks for options built in code; throws ConfigError naming `export.<key>`.
  void validate() const;
};

}  // namespace tinyprune
