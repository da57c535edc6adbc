#include "datasets/image_io.h"

#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/error.h"

namespace tinyprune {

torch::Tensor read_image(const std::string& path, bool grayscale) {
  std::error_code ec;
  TP_CHECK_T(DataError, std::filesystem::is_regular_file(path, ec), path, ": file not found");
  cv::Mat img;
  try {
    img = cv::imread(path, grayscale ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw DataError(str_cat(path, ": cannot decode image: ", e.what()));
  }
  TP_CHECK_T(DataError, !img.empty(), path, ": cannot decode image (cv::imread failed; corrupt or unsupported file)");
  const int64_t H = img.rows, W = img.cols, C = grayscale ? 1 : 3;
  auto out = torch::empty({C, H, W}, torch::kUInt8);
  uint8_t* d = out.data_ptr<uint8_t>();
  const int64_t plane = H * W;
  for (int64_t y = 0; y < H; ++y) {
    const uint8_t* row = img.ptr<uint8_t>(static_cast<int>(y));
    if (C == 1) {
      std::memcpy(d + y * W, row, static_cast<size_t>(W));
      continue;
    }
    // Interleaved BGR -> planar RGB.
    for (int64_t x = 0; x < W; ++x) {
      d[y * W + x] = row[3 * x + 2];
      d[plane + y * W + x] = row[3 * x + 1];
      d[2 * plane + y * W + x] = row[3 * x];
    }
  }
  return out;
}

void write_image(const std::string& path, const torch::Tensor& image) {
  TP_CHECK(image.scalar_type() == torch::kUInt8 && image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3),
           path, ": write_image expects uint8 [1 or 3, H, W], got ", image.scalar_type(), " ", image.sizes());
  const int C = static_cast<int>(image.size(0)), H = static_cast<int>(image.size(1)), W = static_cast<int>(image.size(2));
  // [C,H,W] RGB -> [H,W,C] BGR, contiguous, as OpenCV expects.
  torch::Tensor hwc = (C == 3 ? image.flip({0}) : image).permute({1, 2, 0}).contiguous();
  cv::Mat mat(H, W, C == 3 ? CV_8UC3 : CV_8UC1, hwc.data_ptr<uint8_t>());
  bool ok = false;
  try {
    ok = cv::imwrite(path, mat);
  } catch (const cv::Exception& e) {
    throw Error(str_cat(path, ": cannot write image: ", e.what()));
  }
  TP_CHECK(ok, path, ": cannot write image (unsupported extension or unwritable path)");
}

}  // namespace tinyprune
