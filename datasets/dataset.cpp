#include "datasets/dataset.h"

#include "core/error.h"

namespace tinyprune {

Dataset::~Dataset() = default;

std::vector<std::string> Dataset::class_names() const {
  std::vector<std::string> names;
  const int64_t k = num_classes();
  names.reserve(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) names.push_back(std::to_string(i));
  return names;
}

Batch Dataset::get_unaugmented_batch(const std::vector<int64_t>& indices) const { return get_batch(indices, 0); }

std::string Dataset::describe() const {
  return str_cat(size(), " samples of ", shape_string(sample_shape()), ", ", num_classes(), " classes");
}

std::string shape_string(const TensorShape& s) { return str_cat(s.c, "x", s.h, "x", s.w); }

}  // namespace tinyprune
