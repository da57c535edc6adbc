#include "datasets/image_store.h"

#include <torch/torch.h>

#include "core/error.h"

namespace tinyprune {

TensorShape ImageStore::shape() const {
  if (!images.defined() || images.dim() != 4) return TensorShape{0, 0, 0};
  return TensorShape{images.size(1), images.size(2), images.size(3)};
}

void ImageStore::validate(const std::string& what) const {
  TP_CHECK_T(DataError, images.defined() && labels.defined(), what, ": no images or labels");
  TP_CHECK_T(DataError, images.scalar_type() == torch::kUInt8 && images.dim() == 4 && images.is_contiguous(),
             what, ": images must be a contiguous uint8 [N,C,H,W] tensor, got ", images.scalar_type(), " ",
             images.sizes());
  TP_CHECK_T(DataError, labels.scalar_type() == torch::kInt64 && labels.dim() == 1 && labels.is_contiguous(), what,
             ": labels must be a contiguous int64 [N] tensor, got ", labels.scalar_type(), " ", labels.sizes());
  TP_CHECK_T(DataError, images.size(0) == labels.size(0), what, ": ", images.size(0), " images but ",
             labels.size(0), " labels");
  TP_CHECK_T(DataError, images.size(1) > 0 && images.size(2) > 0 && images.size(3) > 0, what,
             ": empty image shape ", images.sizes());
  TP_CHECK_T(DataError, !class_names.empty(), what, ": no class names");
  const int64_t* l = labels.data_ptr<int64_t>();
  const int64_t k = num_classes();
  for (int64_t i = 0; i < size(); ++i)
    TP_CHECK_T(DataError, l[i] >= 0 && l[i] < k, what, ": label ", l[i], " of sample ", i, " is outside [0, ", k, ")");
}

ImageStore ImageStore::subset(const std::vector<int64_t>& indices) const {
  auto idx = torch::tensor(indices, torch::kInt64);
  ImageStore out;
  out.images = images.index_select(0, idx).contiguous();
  out.labels = labels.index_select(0, idx).contiguous();
  out.class_names = class_names;
  return out;
}

}  // namespace tinyprune
