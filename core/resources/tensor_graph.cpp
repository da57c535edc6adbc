#include "core/resources/tensor_graph.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace tinyprune {

int TensorGraph::add_tensor(std::string name, double bytes, std::vector<int> inputs, bool inplace) {
  const int id = size();
  TP_CHECK_T(ResourceError, std::isfinite(bytes) && bytes >= 0, "tensor \"", name, "\": size must be >= 0 bytes, got ",
             bytes);
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  for (int in : inputs)
    TP_CHECK_T(ResourceError, in >= 0 && in < id, "tensor \"", name, "\": input id ", in,
               " does not name an earlier tensor (ids must be in topological order)");
  for (int in : inputs) consumers_[static_cast<size_t>(in)].push_back(id);
  names_.push_back(std::move(name));
  bytes_.push_back(bytes);
  inputs_.push_back(std::move(inputs));
  consumers_.emplace_back();
  inplace_.push_back(inplace ? 1 : 0);
  return id;
}

void TensorGraph::set_outputs(std::vector<int> outputs) {
  for (int t : outputs)
    TP_CHECK_T(ResourceError, t >= 0 && t < size(), "output tensor id ", t, " out of range [0, ", size(), ")");
  std::sort(outputs.begin(), outputs.end());
  outputs.erase(std::unique(outputs.begin(), outputs.end()), outputs.end());
  outputs_ = std::move(outputs);
}

void TensorGraph::set_bytes(int t, double bytes) {
  TP_CHECK_T(ResourceError, t >= 0 && t < size(), "tensor id ", t, " out of range");
  TP_CHECK_T(ResourceError, std::isfinite(bytes) && bytes >= 0, "tensor \"", name(t),
             "\": size must be >= 0 bytes, got ", bytes);
  bytes_[static_cast<size_t>(t)] = bytes;
}

std::vector<int> TensorGraph::outputs() const {
  if (!outputs_.empty()) return outputs_;
  std::vector<int> out;
  for (int t = 0; t < size(); ++t)
    if (consumers(t).empty()) out.push_back(t);
  return out;
}

bool TensorGraph::is_output(int t) const {
  if (!outputs_.empty()) return std::binary_search(outputs_.begin(), outputs_.end(), t);
  return consumers(t).empty();
}

std::vector<int> TensorGraph::default_order() const {
  std::vector<int> order;
  for (int t = 0; t < size(); ++t)
    if (!is_graph_input(t)) order.push_back(t);
  return order;
}

std::vector<int> TensorGraph::needed() const {
  std::vector<char> mark(static_cast<size_t>(size()), 0);
  for (int t : outputs()) mark[static_cast<size_t>(t)] = 1;
  // Ids are topological, so one backward sweep propagates "needed" to every ancestor.
  for (int t = size() - 1; t >= 0; --t)
    if (mark[static_cast<size_t>(t)])
      for (int in : inputs(t)) mark[static_cast<size_t>(in)] = 1;
  std::vector<int> out;
  for (int t = 0; t < size(); ++t)
    if (mark[static_cast<size_t>(t)]) out.push_back(t);
  return out;
}

}  // namespace tinyprune
