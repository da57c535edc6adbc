#include "core/resources/resource_options.h"

namespace tinyprune {

ResourceOptions ResourceOptions::from_config(ConfigNode node) {
  ResourceOptions o;
  o.inplace_add = node.get_bool("inplace_add", o.inplace_add);
  o.dp_state_cap = node.get_int("dp_state_cap", o.dp_state_cap, /*min=*/1);
  o.fallback_to_default_order = node.get_bool("fallback_to_default_order", o.fallback_to_default_order);
  return o;
}

}  // namespace tinyprune
