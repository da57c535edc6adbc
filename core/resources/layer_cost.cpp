#include "core/resources/layer_cost.h"

namespace tinyprune {
namespace {

void accumulate(std::vector<std::pair<int, double>>& into, int group, double value) {
  for (auto& e : into)
    if (e.first == group) {
      e.second += value;
      return;
    }
  into.emplace_back(group, value);
}

}  // namespace

Dual& Dual::operator+=(const Dual& o) {
  v += o.v;
  for (const auto& e : o.d) accumulate(d, e.first, e.second);
  return *this;
}

Dual operator*(const Dual& a, const Dual& b) {
  Dual r(a.v * b.v);  // product rule: d(ab) = a db + b da
  for (const auto& e : a.d) accumulate(r.d, e.first, e.second * b.v);
  for (const auto& e : b.d) accumulate(r.d, e.first, e.second * a.v);
  return r;
}

void Dual::add_gradient_to(std::vector<double>& grad, double scale) const {
  for (const auto& e : d) grad[static_cast<size_t>(e.first)] += scale * e.second;
}

}  // namespace tinyprune
