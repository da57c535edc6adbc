#include <string>

#include "core/models/builders.h"

namespace tinyprune {

int add_classifier_head(Graph& g, int x, const ModelSpec& spec, bool global_pool) {
  if (global_pool) x = g.global_avg_pool(x, "avgpool");
  x = g.flatten(x, "flatten");
  if (spec.dropout > 0.0) x = g.dropout(x, spec.dropout, "dropout");
  const int out = g.linear(x, spec.num_classes, /*bias=*/true, "classifier");
  g.set_output(out);
  return out;
}

}  // namespace tinyprune
