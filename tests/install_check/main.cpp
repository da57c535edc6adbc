// An out-of-tree program linking the installed library through find_package(TinyPrune):
// builds a zoo model and prints its parameter count (ResNet-20: 272474).
#include <cstdio>

#include "core/models/zoo.h"
#include "core/resources/resource_model.h"

int main() {
  tinyprune::ModelSpec spec;
  spec.name = "resnet20";
  const tinyprune::Graph graph = tinyprune::build_model(spec);
  const long long params = tinyprune::ResourceModel(graph).evaluate().params;
  std::printf("%lld\n", params);
  return params == 272474 ? 0 : 1;
}
