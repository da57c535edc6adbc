// Shared by the zoo tests: a ModelSpec for a model name, input shape, width and class count.
#pragma once

#include <string>

#include "core/models/model_spec.h"

namespace tinyprune::testing {

inline ModelSpec make_spec(const std::string& name, TensorShape input = {3, 32, 32}, double width = 1.0,
                           int64_t classes = 10) {
  ModelSpec s;
  s.name = name;
  s.width = width;
  return s.for_data(input, classes);
}

}  // namespace tinyprune::testing
