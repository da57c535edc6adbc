// Single-image file I/O through OpenCV (PNG, JPEG, BMP, PNM, TIFF, WebP as OpenCV was built).
//
// Used by the image-folder reader, and to write samples out for inspection (e.g. checking what
// an augmentation does) or as test fixtures. Images are uint8 [C, H, W] tensors, channels RGB
// (C = 3) or gray (C = 1), never OpenCV's interleaved BGR. Thread-safe.
#pragma once

#include <torch/types.h>

#include <string>

namespace tinyprune {

// Decodes `path` to uint8 [3, H, W] RGB, or [1, H, W] when `grayscale`. DataError naming the path
// when the file is missing or cannot be decoded.
torch::Tensor read_image(const std::string& path, bool grayscale);

// Encodes uint8 [C, H, W] (C = 1 or 3, RGB) to `path`; the format follows the extension. Error
// naming the path on failure.
void write_image(const std::string& path, const torch::Tensor& image);

}  // namespace tinyprune
