// KernelCostModel: the latency predictor of the DTMM pruning-strategy scheduler (algorithms.md
// 1.5.3): a per-kernel cost table that predicts the instructions the runtime's int8 kernels
// execute for one inference, as a function of the layer shape and the kept filterlets.
//
// Which numbers: exact guest-instruction counts of the runtime's own kernels on an emulated
// Cortex-M (bench/kernels: QEMU + instruction-count plugin; `tpr_conv2d_s8` dense and
// `tpr_conv2d_fwcs_s8` FWCS, conv3x3 16x16x32->32 and 32x32x16->32 at filterlet sparsity
// 0/25/50/75/90 %). Each kernel's loop structure gives the form below; its coefficients are fitted
// to those 20 counts per core (the fit reproduces every one within 0.1 %, see
// tests/schedulers/kernel_cost_model_test.cpp). Other shapes are extrapolations of that form.
// Host wall time was not used: it is noisy and would make schedules irreproducible.
// `lanes` = int8 elements per SIMD step (16 on M55 MVE, 4 on M4 DSP), ch(n) = ceil(n / lanes),
// P = output pixels, K = KH*KW:
//
//   conv, im2col (K > 1)   P * K * (im2col_tap + im2col_chunk * ch(Cin))
//   conv, dense weights    P * Cout * (dense_out + dense_chunk * ch(K*Cin))        (+ im2col)
//   conv, FWCS weights     P * (Cout * fwcs_out + Nkept * (fwcs_filterlet + fwcs_chunk * ch(Cin)))
//                          (+ im2col with fwcs_im2col_chunk: the FWCS kernels build their input
//                          rows their own way, e.g. each input column loaded once on M55)
//                          + Nkept * fwcs_ef_kept once per call when the index is Elias-Fano
//                          (format 1.2: decoded sequentially into per-filter tap sets)
//   1x1 conv               dense form without im2col (the runtime's 1x1 fast path)
//   fully connected        Cout * (dense_out + dense_chunk * ch(Cin))
//   depthwise              P * C * (depthwise_out + K * depthwise_tap / lanes)       [assumed]
//   add / pools / ReLU     elementwise per output byte (pools: per input byte)       [assumed]
// [assumed]: no measurement exists for these kernels yet; they do not depend on filterlet
// decisions, only on widths, so they shift the objective little. `im2col_tap` is not
// identifiable from the two measured shapes and is set by hand (4 on M55, 10 on M4).
// Units are instructions (an MVE instruction counts 1 whatever its beats): compare layers and
// configurations on one core, not cycles across cores.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinyprune {

struct KernelCostModel {
  std::string name;
  int64_t lanes = 16;
  double im2col_tap = 0, im2col_chunk = 0;
  double dense_out = 0, dense_chunk = 0;
  double fwcs_out = 0, fwcs_filterlet = 0, fwcs_chunk = 0, fwcs_im2col_chunk = 0, fwcs_ef_kept = 0;
  double depthwise_out = 0, depthwise_tap = 0;
  double elementwise = 0;

  // Standard conv (groups 1): `kept` filterlets of cout*kh*kw when `fwcs`, else dense;
  // `ef_index`: the FWCS index is Elias-Fano (what tpr_builder_weight_stats() chose).
  double conv(int64_t out_pixels, int64_t cout, int64_t cin, int64_t kh, int64_t kw, bool fwcs,
              int64_t kept, bool ef_index = false) const;
  double fully_connected(int64_t in_features, int64_t out_features) const;
  double depthwise(int64_t out_pixels, int64_t channels, int64_t kh, int64_t kw) const;
  double elementwise_bytes(int64_t bytes) const;

  // Cortex-M55 with the MVE kernels (mps3-an547) / Cortex-M4 with the DSP kernels (mps2-an386).
  static KernelCostModel m55_mve();
  static KernelCostModel m4_dsp();
  // "m55_mve" | "m4_dsp"; throws Error listing the names.
  static KernelCostModel by_name(const std::string& name);
  static std::vector<std::string> names();
};

}  // namespace tinyprune
