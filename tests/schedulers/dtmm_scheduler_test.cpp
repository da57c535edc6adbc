#include "schedulers/dtmm_scheduler.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/models/zoo.h"
#include "export/exporter.h"
#include "pruners/filterlet/filterlet_units.h"
#include "schedulers/deployed_cost.h"
#include "tests/models/model_test_util.h"

namespace tinyprune {
namespace {

// conv3x3 (bias) -> pool -> conv3x3 -> conv1x1 -> standalone BN -> depthwise -> GAP -> FC.
Graph small_net(int64_t c1, int64_t c2, int64_t c3) {
  Graph g;
  int x = g.input(3, 16, 16);
  x = g.relu(g.batch_norm(g.conv2d(x, c1, 3, 1, 1, 1, /*bias=*/true, "conv1"), "bn1"));
  x = g.max_pool(x, 2, 2);
  x = g.relu(g.batch_norm(g.conv2d(x, c2, 3, 1, 1, 1, false, "conv2"), "bn2"));
  x = g.relu(g.batch_norm(g.conv2d(x, c3, 1, 1, 0, 1, false, "conv3"), "bn3"));
  x = g.batch_norm(g.max_pool(x, 2, 2), "bn_standalone");
  x = g.relu(g.batch_norm(g.conv2d(x, c3, 3, 1, 1, /*groups=*/c3, false, "dw"), "bn4"));
  g.linear(g.flatten(g.global_avg_pool(x)), 10, true, "fc");
  return g;
}

// Zeroes a seeded random `fraction` of conv `node`'s filterlets; returns the keep mask [Cout,KH,KW].
torch::Tensor zero_filterlets(GraphModule& m, int node, double fraction, uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::Tensor w = m->weight(node);
  torch::manual_seed(seed);
  const torch::Tensor keep = (torch::rand({w.size(0), w.size(2), w.size(3)}) >= fraction).to(torch::kFloat);
  w.mul_(keep.unsqueeze(1));
  return keep;
}

ExportResult export_in_memory(GraphModule& m) {
  ExportOptions o;
  o.out = "";
  o.header = false;
  torch::manual_seed(7);
  std::vector<torch::Tensor> batches;
  const TensorShape s = m->graph().node(0).shape;
  for (int i = 0; i < 2; ++i) batches.push_back(torch::randn({8, s.c, s.h, s.w}));
  return export_model(m, batches, o);
}

void expect_prediction_equals_export(GraphModule& m, const std::map<int, int64_t>& kept) {
  const ResourceModel rm(m->graph());
  const DeployedCost c = deployed_cost(rm, rm.groups().original_widths(), kept, KernelCostModel::m55_mve(), true);
  const ExportResult r = export_in_memory(m);
  int64_t exported = 0;
  std::map<std::string, const LayerStorage*> by_name;
  for (const LayerStorage& l : r.layers) {
    exported += l.weight_bytes + l.quant_bytes;
    by_name[l.name] = &l;
  }
  EXPECT_EQ(c.flash_bytes, exported);
  int fwcs = 0;
  for (const OpCost& o : c.ops) {
    if (o.storage.empty()) continue;
    ASSERT_TRUE(by_name.count(o.name)) << o.name;
    const LayerStorage& l = *by_name.at(o.name);
    EXPECT_EQ(o.storage, l.storage) << o.name;
    EXPECT_EQ(o.weight_bytes, l.weight_bytes) << o.name;
    EXPECT_EQ(o.quant_bytes, l.quant_bytes) << o.name;
    EXPECT_EQ(o.executed_macs, l.executed_macs) << o.name;
    fwcs += o.storage == "fwcs";
  }
  EXPECT_GE(fwcs, 1);
}

TEST(DeployedCostTest, PredictedFlashEqualsTheExportersBytesForAFilterletMaskedModel) {
  const Graph g = small_net(16, 24, 32);
  // conv1 (Cin 3) 60 % -> FWCS; conv2 (Cin 16): 0 % stays dense (any index makes FWCS larger),
  // 1 % and 30 % FWCS (bitmap index: 2 B per 3x3 filter, less than the pruned weight bytes).
  for (double f2 : {0.0, 0.01, 0.3}) {
    SCOPED_TRACE(f2);
    torch::manual_seed(0);
    GraphModule m(g);
    std::map<int, int64_t> kept;
    kept[g.at("conv1")] = zero_filterlets(m, g.at("conv1"), 0.6, 1).sum().item<int64_t>();
    kept[g.at("conv2")] = zero_filterlets(m, g.at("conv2"), f2, 2).sum().item<int64_t>();
    expect_prediction_equals_export(m, kept);
  }
}

TEST(DeployedCostTest, ReducedWidthsPredictTheCompactedModel) {
  // Filter pruning to widths (11, 7, 5) on the big graph == the graph built at those widths.
  const ResourceModel big(small_net(16, 24, 32));
  std::vector<int64_t> w = big.groups().original_widths();
  const Graph& g = big.graph();
  w[static_cast<size_t>(big.groups().group_of(g.at("conv1")))] = 11;
  w[static_cast<size_t>(big.groups().group_of(g.at("conv2")))] = 7;
  w[static_cast<size_t>(big.groups().group_of(g.at("conv3")))] = 5;
  torch::manual_seed(3);
  GraphModule small(small_net(11, 7, 5));
  const Graph& gs = small->graph();
  std::map<int, int64_t> kept_small{{gs.at("conv1"), zero_filterlets(small, gs.at("conv1"), 0.5, 4).sum().item<int64_t>()},
                                    {gs.at("conv2"), zero_filterlets(small, gs.at("conv2"), 0.4, 5).sum().item<int64_t>()}};
  std::map<int, int64_t> kept_big{{g.at("conv1"), kept_small.at(gs.at("conv1"))},
                                  {g.at("conv2"), kept_small.at(gs.at("conv2"))}};
  const KernelCostModel k = KernelCostModel::m55_mve();
  const DeployedCost a = deployed_cost(big, w, kept_big, k);
  const ResourceModel rs(gs);
  const DeployedCost b = deployed_cost(rs, rs.groups().original_widths(), kept_small, k);
  EXPECT_EQ(a.flash_bytes, b.flash_bytes);
  EXPECT_EQ(a.executed_macs, b.executed_macs);
  EXPECT_DOUBLE_EQ(a.latency, b.latency);
  expect_prediction_equals_export(small, kept_small);
}

TEST(DeployedCostTest, RejectsOutOfRangeKeptCounts) {
  const ResourceModel rm(small_net(4, 4, 4));
  EXPECT_THROW(deployed_cost(rm, rm.groups().original_widths(), {{rm.graph().at("conv2"), 37}},
                             KernelCostModel::m55_mve()),
               Error);
}

TEST(DtmmCountsTest, FractionsBecomeExactClampedCounts) {
  EXPECT_EQ(filters_to_remove(0.0, 10), 0);
  EXPECT_EQ(filters_to_remove(0.25, 10), 3);   // 2.5 rounds half away from zero
  EXPECT_EQ(filters_to_remove(0.3, 10), 3);    // 0.3*10 = 2.9999.. is 3
  EXPECT_EQ(filters_to_remove(0.99, 4), 3);    // never every filter
  EXPECT_EQ(filters_to_remove(0.5, 1), 0);
  EXPECT_EQ(filterlets_to_remove(0.2, 8, 9, 6), 14);      // round(0.2*72)
  EXPECT_EQ(filterlets_to_remove(0.9, 8, 9, 6), 48);      // at most 8 per surviving filter
  EXPECT_EQ(filterlets_to_remove(0.5, 8, 1, 8), 0);       // 1x1: no filterlets
}

// A problem on a zoo model with seeded random importances.
struct Problem {
  std::unique_ptr<ResourceModel> rm;
  std::vector<DtmmLayer> layers;
  std::vector<DtmmGroup> groups;
  std::unique_ptr<DtmmScheduler> sched;
};

Problem make_problem(const std::string& model, double width, TensorShape input = {1, 16, 16}) {
  Problem p;
  p.rm = std::make_unique<ResourceModel>(build_model(testing::make_spec(model, input, width, 10)));
  const FilterletUnits u = filterlet_units(p.rm->graph(), p.rm->groups());
  torch::manual_seed(11);
  for (int node : u.filterlet_convs) {
    const Node& n = p.rm->graph().node(node);
    const torch::Tensor s = torch::rand({n.out_channels * n.kernel_h * n.kernel_w}, torch::kDouble);
    p.layers.push_back({node, std::vector<double>(s.data_ptr<double>(), s.data_ptr<double>() + s.numel())});
  }
  for (int g : u.filter_groups) {
    const torch::Tensor s = torch::rand({p.rm->groups().group(g).channels}, torch::kDouble) * 9.0;
    p.groups.push_back({g, std::vector<double>(s.data_ptr<double>(), s.data_ptr<double>() + s.numel())});
  }
  p.sched = std::make_unique<DtmmScheduler>(*p.rm, p.layers, p.groups, KernelCostModel::m55_mve());
  return p;
}

DtmmOptions quick_options() {
  DtmmOptions o;
  o.max_iterations = 400;
  o.moves_per_temperature = 40;
  return o;
}

int64_t count_at_most(const std::vector<double>& v, double tau) {
  return std::count_if(v.begin(), v.end(), [tau](double x) { return x <= tau; });
}

TEST(DtmmSchedulerTest, MeetsEveryBudgetAndTheImportanceBound) {
  Problem p = make_problem("vgg11_dtmm", 0.25);
  const DtmmEvaluation dense = p.sched->evaluate(p.sched->zero_state());
  struct Case {
    double flash, sram, macs;
  };
  for (const Case c : {Case{0.5, 0, 0}, Case{0, 0.6, 0}, Case{0.4, 0.8, 0}, Case{0.7, 0, 0.5}}) {
    DtmmBudget b;
    if (c.flash > 0) b.flash_bytes = static_cast<int64_t>(c.flash * static_cast<double>(dense.flash_bytes));
    if (c.sram > 0) b.sram_bytes = static_cast<int64_t>(c.sram * static_cast<double>(dense.sram_bytes));
    if (c.macs > 0) b.macs = static_cast<int64_t>(c.macs * static_cast<double>(dense.executed_macs));
    const DtmmResult r = p.sched->solve(b, quick_options());
    SCOPED_TRACE(::testing::Message() << c.flash << " " << c.sram << " " << c.macs);
    if (b.flash_bytes) EXPECT_LE(r.eval.flash_bytes, *b.flash_bytes);
    if (b.sram_bytes) EXPECT_LE(r.eval.sram_bytes, *b.sram_bytes);
    if (b.macs) EXPECT_LE(r.eval.executed_macs, *b.macs);
    EXPECT_LT(r.eval.latency, dense.latency);
    EXPECT_GT(r.feasible, 0);
    // The reported evaluation is the state's.
    const DtmmEvaluation again = p.sched->evaluate(r.state);
    EXPECT_EQ(again.flash_bytes, r.eval.flash_bytes);
    EXPECT_EQ(again.widths, r.eval.widths);
    // Only units with importance <= bound are pruned (counts within the bound's fractions).
    for (size_t i = 0; i < p.groups.size(); ++i)
      EXPECT_LE(r.eval.removed_filters[i], count_at_most(p.groups[i].filter_scores, r.filter_importance_bound));
    for (size_t l = 0; l < p.layers.size(); ++l) {
      const int gi = p.sched->layer_group(l);
      EXPECT_LE(r.eval.removed_filterlets[l], count_at_most(p.layers[l].filterlet_scores, r.importance_bound));
      EXPECT_LE(r.state.alpha[static_cast<Eigen::Index>(l)] + (gi >= 0 ? r.state.beta[gi] : 0.0), 0.95 + 1e-12);
    }
    for (Eigen::Index i = 0; i < r.state.beta.size(); ++i) EXPECT_LE(r.state.beta[i], 0.8 + 1e-12);
  }
}

TEST(DtmmSchedulerTest, ResidualConvsShareOneGroup) {
  Problem p = make_problem("resnet12", 0.125);
  // layer1_0's conv2 and the stem write the same residual group: one beta for both.
  const Graph& g = p.rm->graph();
  int a = -1, b = -1;
  for (size_t l = 0; l < p.layers.size(); ++l) {
    if (g.node(p.layers[l].node).name == "stem_conv") a = p.sched->layer_group(l);
    if (g.node(p.layers[l].node).name == "layer1_0_conv2") b = p.sched->layer_group(l);
  }
  ASSERT_GE(a, 0);
  EXPECT_EQ(a, b);
  DtmmBudget budget;
  budget.flash_bytes = p.sched->evaluate(p.sched->zero_state()).flash_bytes / 2;
  const DtmmResult r = p.sched->solve(budget, quick_options());
  EXPECT_LE(r.eval.flash_bytes, *budget.flash_bytes);
}

TEST(DtmmSchedulerTest, ReportsInfeasibleBudgets) {
  Problem p = make_problem("vgg11_dtmm", 0.25);
  DtmmBudget flash;
  flash.flash_bytes = 1000;
  try {
    p.sched->solve(flash, quick_options());
    FAIL() << "expected InfeasibleBudgetError";
  } catch (const InfeasibleBudgetError& e) {
    EXPECT_NE(std::string(e.what()).find("infeasible budget"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("flash"), std::string::npos) << e.what();
  }
  DtmmBudget sram;
  sram.sram_bytes = 200;  // less than the 1x16x16 input itself
  EXPECT_THROW(p.sched->solve(sram, quick_options()), InfeasibleBudgetError);
  // A zero importance bound allows no pruning: any budget below the dense model is infeasible.
  DtmmOptions zero = quick_options();
  zero.importance_bound = 0.0;
  DtmmBudget half;
  half.flash_bytes = p.sched->evaluate(p.sched->zero_state()).flash_bytes / 2;
  EXPECT_THROW(p.sched->solve(half, zero), InfeasibleBudgetError);
  const DtmmResult none = p.sched->solve(DtmmBudget{}, zero);
  EXPECT_EQ(none.eval.flash_bytes, p.sched->evaluate(p.sched->zero_state()).flash_bytes);
}

TEST(DtmmSchedulerTest, DeterministicForASeedAndRespectsLowerBounds) {
  Problem p = make_problem("vgg11_dtmm", 0.25);
  DtmmBudget b;
  b.flash_bytes = p.sched->evaluate(p.sched->zero_state()).flash_bytes * 6 / 10;
  const DtmmResult r1 = p.sched->solve(b, quick_options());
  const DtmmResult r2 = p.sched->solve(b, quick_options());
  EXPECT_TRUE(r1.state.alpha == r2.state.alpha);
  EXPECT_TRUE(r1.state.beta == r2.state.beta);
  EXPECT_EQ(r1.iterations, 400);
  // A later round never un-prunes: the next solve starts from r1 and stays above it.
  DtmmBudget tighter;
  tighter.flash_bytes = *b.flash_bytes * 7 / 10;
  const DtmmResult r3 = p.sched->solve(tighter, quick_options(), &r1.state);
  EXPECT_LE(r3.eval.flash_bytes, *tighter.flash_bytes);
  for (Eigen::Index i = 0; i < r1.state.alpha.size(); ++i) EXPECT_GE(r3.state.alpha[i], r1.state.alpha[i]);
  for (Eigen::Index i = 0; i < r1.state.beta.size(); ++i) EXPECT_GE(r3.state.beta[i], r1.state.beta[i]);
  // DTMM's reference temperatures run too (and still meet the budget).
  DtmmOptions ref = quick_options();
  ref.reference_temperatures = true;
  EXPECT_LE(p.sched->solve(b, ref).eval.flash_bytes, *b.flash_bytes);
}

TEST(DtmmSchedulerTest, SramBudgetPrunesTheFiltersAtThePeak) {
  Problem p = make_problem("vgg11_dtmm", 0.25);
  const DtmmEvaluation dense = p.sched->evaluate(p.sched->zero_state());
  DtmmBudget b;
  b.sram_bytes = dense.sram_bytes * 7 / 10;
  const DtmmResult r = p.sched->solve(b, quick_options());
  EXPECT_LE(r.eval.sram_bytes, *b.sram_bytes);
  EXPECT_EQ(r.eval.sram_bytes, p.rm->evaluate(r.eval.widths).peak_memory_bytes);  // exact PMU
  int64_t removed = 0;
  for (int64_t n : r.eval.removed_filters) removed += n;
  EXPECT_GT(removed, 0);
}

}  // namespace
}  // namespace tinyprune
