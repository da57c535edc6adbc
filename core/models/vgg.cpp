// VGG family; contracts and reference counts in builders.h.
#include <string>

#include "core/error.h"
#include "core/models/builders.h"

namespace tinyprune {

Graph build_vgg(const ModelSpec& spec, const VggConfig& config) {
  TP_CHECK_T(GraphError, !config.plan.empty(), "model \"", spec.name, "\": empty VGG plan");
  Graph g;
  int x = g.input(spec.in_channels, spec.height, spec.width_px);
  int conv_index = 0;
  int pool_index = 0;
  for (int64_t entry : config.plan) {
    if (entry == kVggPool) {
      // Input-size awareness: a 2x2 window that does not fit would shrink the map below 1x1, so
      // the pool is skipped; its index is still consumed so later names stay stable.
      const std::string name = "features_pool" + std::to_string(pool_index++);
      const TensorShape& s = g.node(x).shape;
      if (s.h >= 2 && s.w >= 2) x = g.max_pool(x, /*kernel=*/2, /*stride=*/2, /*padding=*/0, name);
      continue;
    }
    TP_CHECK_T(GraphError, entry > 0, "model \"", spec.name, "\": VGG plan entry must be > 0 or kVggPool, got ",
               entry);
    const std::string i = std::to_string(conv_index++);
    x = g.conv2d(x, scaled_channels(entry, spec.width), /*kernel=*/3, /*stride=*/1, /*padding=*/1,
                 /*groups=*/1, config.conv_bias, "features_conv" + i);
    x = g.batch_norm(x, "features_bn" + i);
    x = g.relu(x, "features_relu" + i);
  }
  add_classifier_head(g, x, spec, config.global_pool);
  return g;
}

Graph build_vgg11(const ModelSpec& spec) {
  constexpr int64_t M = kVggPool;
  return build_vgg(spec, {{64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M}, /*conv_bias=*/true,
                          /*global_pool=*/true});
}

Graph build_vgg16(const ModelSpec& spec) {
  constexpr int64_t M = kVggPool;
  // OpenLTH's plan ends without a pool; its AvgPool2d(2) on the 2x2 map equals the global pool.
  return build_vgg(spec, {{64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512},
                          /*conv_bias=*/true, /*global_pool=*/true});
}

Graph build_vgg11_dtmm(const ModelSpec& spec) {
  constexpr int64_t M = kVggPool;
  return build_vgg(spec, {{32, 32, M, 64, 64, M, 128, 128, 128, M, 256, 256, 256, M}, /*conv_bias=*/true,
                          /*global_pool=*/false});
}

}  // namespace tinyprune
