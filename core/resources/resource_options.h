// ResourceOptions: how the ResourceModel counts (the `resources` section of an experiment file).
//
//   resources:
//     inplace_add: false          # an Add may accumulate into a dying summand (saves one buffer)
//     dp_state_cap: 1000000       # max states of the exact peak-memory DP
//     fallback_to_default_order: true   # past the cap: report the definition order's PMU + warn
#pragma once

#include <cstdint>

#include "core/config_node.h"

namespace tinyprune {

struct ResourceOptions {
  int64_t bytes_per_element = 1;  // activation element size; 1 = int8 deployment (not configurable yet)
  bool inplace_add = false;
  int64_t dp_state_cap = 1000000;
  bool fallback_to_default_order = true;

  // Reads the keys above from `node` (the `resources` map; absent keys keep the defaults).
  // Throws ConfigError for wrong types or dp_state_cap < 1.
  static ResourceOptions from_config(ConfigNode node);
};

}  // namespace tinyprune
