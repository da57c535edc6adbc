// Load-time image operations on whole uint8 stores (OpenCV): resize and grayscale conversion.
//
// They run once when a dataset is loaded, not per batch, so every epoch reads images that already
// have the shape the model sees. Inputs and outputs are uint8 [N, C, H, W] contiguous CPU tensors.
// Thread-safe (pure functions); they may use LibTorch's intra-op thread pool.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace tinyprune {

// Resizes every channel of every image to height x width. Shrinking uses pixel-area averaging
// (cv::INTER_AREA, no aliasing), enlarging uses bilinear interpolation. Returns the input unchanged
// when it already has that size.
torch::Tensor resize_images(const torch::Tensor& images, int64_t height, int64_t width);

// RGB [N,3,H,W] -> luma [N,1,H,W] with ITU-R BT.601 weights (0.299, 0.587, 0.114), as OpenCV's
// RGB2GRAY. One-channel input is returned unchanged; other channel counts throw DataError.
torch::Tensor rgb_to_grayscale(const torch::Tensor& images);

}  // namespace tinyprune
