#include "datasets/image_ops.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace tinyprune {

torch::Tensor resize_images(const torch::Tensor& images, int64_t height, int64_t width) {
  TP_CHECK(images.scalar_type() == torch::kUInt8 && images.dim() == 4, "resize_images: expected uint8 [N,C,H,W], got ",
           images.scalar_type(), " ", images.sizes());
  TP_CHECK(height > 0 && width > 0, "resize_images: bad target size ", height, "x", width);
  const int64_t N = images.size(0), C = images.size(1), H = images.size(2), W = images.size(3);
  if (H == height && W == width) return images;
  auto src = images.contiguous();
  auto dst = torch::empty({N, C, height, width}, torch::kUInt8);
  const int interp = (height <= H && width <= W) ? cv::INTER_AREA : cv::INTER_LINEAR;
  const uint8_t* s = src.data_ptr<uint8_t>();
  uint8_t* d = dst.data_ptr<uint8_t>();
  // Planes are independent; cv::Mat headers wrap the tensor memory without copying.
  at::parallel_for(0, N * C, /*grain_size=*/64, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      cv::Mat in(static_cast<int>(H), static_cast<int>(W), CV_8UC1, const_cast<uint8_t*>(s + p * H * W));
      cv::Mat out(static_cast<int>(height), static_cast<int>(width), CV_8UC1, d + p * height * width);
      cv::resize(in, out, out.size(), 0, 0, interp);
    }
  });
  return dst;
}

torch::Tensor rgb_to_grayscale(const torch::Tensor& images) {
  TP_CHECK(images.scalar_type() == torch::kUInt8 && images.dim() == 4, "rgb_to_grayscale: expected uint8 [N,C,H,W], got ",
           images.scalar_type(), " ", images.sizes());
  const int64_t N = images.size(0), C = images.size(1), HW = images.size(2) * images.size(3);
  if (C == 1) return images;
  TP_CHECK_T(DataError, C == 3, "grayscale: expected 1 or 3 channels, got ", C);
  auto src = images.contiguous();
  auto dst = torch::empty({N, 1, images.size(2), images.size(3)}, torch::kUInt8);
  const uint8_t* s = src.data_ptr<uint8_t>();
  uint8_t* d = dst.data_ptr<uint8_t>();
  // Fixed-point BT.601 weights scaled by 2^14 (they sum to 2^14), rounded: exact and fast.
  constexpr int kR = 4899, kG = 9617, kB = 1868;
  at::parallel_for(0, N, /*grain_size=*/256, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const uint8_t* r = s + n * 3 * HW;
      const uint8_t* g = r + HW;
      const uint8_t* b = g + HW;
      uint8_t* o = d + n * HW;
      for (int64_t i = 0; i < HW; ++i) o[i] = static_cast<uint8_t>((kR * r[i] + kG * g[i] + kB * b[i] + (1 << 13)) >> 14);
    }
  });
  return dst;
}

}  // namespace tinyprune
