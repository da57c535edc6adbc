#include "pruners/filterlet/filterlet_importance.h"

#include <torch/torch.h>

#include <functional>

#include "core/error.h"

namespace tinyprune {
namespace {

void check_shapes(const torch::Tensor& w, const torch::Tensor& g) {
  TP_CHECK(w.dim() == 4, "Taylor importance: expected a conv weight [Cout, Cin, KH, KW], got ", w.sizes());
  TP_CHECK(g.sizes() == w.sizes(), "Taylor importance: gradient ", g.sizes(), " does not match weight ", w.sizes());
}

// Aggregates per-weight contributions t [Cout, Cin, KH, KW] (float64) into the importance of
// every unit the units description names.
FilterletImportance aggregate(GraphModule& model, const ChannelGroups& groups, const FilterletUnits& units,
                              const std::function<torch::Tensor(int)>& contribution, FilterScoreForm form) {
  FilterletImportance imp;
  for (int node : units.filterlet_convs) imp.filterlet[node] = contribution(node).abs().sum(1);
  for (int gid : units.filter_groups) {
    const ChannelGroup& g = groups.group(gid);
    torch::Tensor sum = torch::zeros({g.channels}, torch::kDouble);
    for (int p : g.producers) {
      const torch::Tensor t = contribution(p);
      const torch::Tensor f = form == FilterScoreForm::kSumAbs ? t.abs().sum({1, 2, 3}) : t.sum({1, 2, 3}).abs();
      TP_CHECK(f.size(0) == g.channels, "importance: producer \"", model->graph().node(p).name, "\" has ", f.size(0),
               " filters, its channel group ", g.channels);
      imp.filter[p] = f;
      sum += f;
    }
    imp.group[gid] = sum;
  }
  return imp;
}

}  // namespace

FilterScoreForm filter_score_form(const std::string& name) {
  if (name == "sum_abs") return FilterScoreForm::kSumAbs;
  if (name == "abs_sum") return FilterScoreForm::kAbsSum;
  throw Error(str_cat("unknown filter score form \"", name, "\"; known: abs_sum, sum_abs"));
}

torch::Tensor taylor_filterlet_scores(const torch::Tensor& w, const torch::Tensor& g) {
  check_shapes(w, g);
  return (w.detach().to(torch::kDouble) * g.detach().to(torch::kDouble)).abs().sum(1);
}

torch::Tensor taylor_filter_scores(const torch::Tensor& w, const torch::Tensor& g, FilterScoreForm form) {
  check_shapes(w, g);
  const torch::Tensor t = w.detach().to(torch::kDouble) * g.detach().to(torch::kDouble);
  return form == FilterScoreForm::kSumAbs ? t.abs().sum({1, 2, 3}) : t.sum({1, 2, 3}).abs();
}

FilterletImportance taylor_importance(GraphModule& model, const ChannelGroups& groups, const FilterletUnits& units,
                                      const std::map<std::string, torch::Tensor>& grads, FilterScoreForm form) {
  torch::NoGradGuard no_grad;
  auto contribution = [&](int node) {
    const std::string key = model->graph().node(node).name + ".weight";
    auto it = grads.find(key);
    TP_CHECK(it != grads.end(), "Taylor importance: no averaged gradient for ", key);
    const torch::Tensor w = model->weight(node);
    check_shapes(w, it->second);
    return w.detach().to(torch::kDouble) * it->second.detach().to(torch::kDouble);
  };
  return aggregate(model, groups, units, contribution, form);
}

FilterletImportance magnitude_importance(GraphModule& model, const ChannelGroups& groups, const FilterletUnits& units) {
  torch::NoGradGuard no_grad;
  auto contribution = [&](int node) { return model->weight(node).detach().to(torch::kDouble).abs(); };
  return aggregate(model, groups, units, contribution, FilterScoreForm::kSumAbs);
}

}  // namespace tinyprune
