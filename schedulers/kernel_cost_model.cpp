#include "schedulers/kernel_cost_model.h"

#include "core/error.h"

namespace tinyprune {
namespace {

double chunks(int64_t n, int64_t lanes) { return static_cast<double>((n + lanes - 1) / lanes); }

}  // namespace

double KernelCostModel::conv(int64_t out_pixels, int64_t cout, int64_t cin, int64_t kh, int64_t kw, bool fwcs,
                             int64_t kept, bool ef_index) const {
  const int64_t k = kh * kw;
  const double p = static_cast<double>(out_pixels);
  // The 1x1 fast path reads the input in place; every other shape builds im2col rows.
  const double row_chunk = fwcs ? fwcs_im2col_chunk : im2col_chunk;
  const double im2col = k > 1 ? p * static_cast<double>(k) * (im2col_tap + row_chunk * chunks(cin, lanes)) : 0.0;
  if (!fwcs) return im2col + p * static_cast<double>(cout) * (dense_out + dense_chunk * chunks(k * cin, lanes));
  const double ef_decode = ef_index ? static_cast<double>(kept) * fwcs_ef_kept : 0.0;
  return im2col + ef_decode +
         p * (static_cast<double>(cout) * fwcs_out +
              static_cast<double>(kept) * (fwcs_filterlet + fwcs_chunk * chunks(cin, lanes)));
}

double KernelCostModel::fully_connected(int64_t in_features, int64_t out_features) const {
  return static_cast<double>(out_features) * (dense_out + dense_chunk * chunks(in_features, lanes));
}

double KernelCostModel::depthwise(int64_t out_pixels, int64_t channels, int64_t kh, int64_t kw) const {
  return static_cast<double>(out_pixels * channels) *
         (depthwise_out + static_cast<double>(kh * kw) * depthwise_tap / static_cast<double>(lanes));
}

double KernelCostModel::elementwise_bytes(int64_t bytes) const { return elementwise * static_cast<double>(bytes); }

// Coefficients: least-squares fit of the form in the header to bench/kernels' exact instruction
// counts (dense: runtime commit e1f2476 kernels; FWCS: the bitmap-index kernels of session 3, with
// their own input-row building), with im2col_tap fixed by hand (not identifiable). fwcs_ef_kept:
// least-squares fit of the four Elias-Fano cells' excess over the bitmap-index form (format 1.2).
KernelCostModel KernelCostModel::m55_mve() {
  KernelCostModel m;
  m.name = "m55_mve";
  m.lanes = 16;
  m.im2col_tap = 4.0;
  m.im2col_chunk = 3.6979;
  m.dense_out = 9.3095;
  m.dense_chunk = 2.5567;
  m.fwcs_out = 5.14990;
  m.fwcs_filterlet = 0.46484;
  m.fwcs_chunk = 2.29687;
  m.fwcs_im2col_chunk = 3.6979 + 0.74958;
  m.fwcs_ef_kept = 34.76;
  m.depthwise_out = 2.0;  // [assumed]
  m.depthwise_tap = 4.0;  // [assumed]
  m.elementwise = 0.5;    // [assumed]
  return m;
}

KernelCostModel KernelCostModel::m4_dsp() {
  KernelCostModel m;
  m.name = "m4_dsp";
  m.lanes = 4;
  m.im2col_tap = 10.0;
  m.im2col_chunk = 8.514;
  m.dense_out = 42.9333;
  m.dense_chunk = 4.2459;
  m.fwcs_out = 34.29376;
  m.fwcs_filterlet = 0.96680;
  m.fwcs_chunk = 4.01245;
  m.fwcs_im2col_chunk = 8.514 - 3.66914;
  m.fwcs_ef_kept = 0.0;  // the M4 kernel decodes EF as cheaply as the bitmap (cells within 0.07 %)
  m.depthwise_out = 15.0;  // [assumed]
  m.depthwise_tap = 6.0;   // [assumed]
  m.elementwise = 3.0;     // [assumed]
  return m;
}

std::vector<std::string> KernelCostModel::names() { return {"m4_dsp", "m55_mve"}; }

KernelCostModel KernelCostModel::by_name(const std::string& name) {
  if (name == "m55_mve") return m55_mve();
  if (name == "m4_dsp") return m4_dsp();
  throw Error(str_cat("unknown latency model \"", name, "\"; known: m4_dsp, m55_mve"));
}

}  // namespace tinyprune
