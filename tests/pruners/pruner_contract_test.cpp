// The contract every registered pruner keeps, run over PrunerRegistry::global().names() with each
// method's registered example section: the pruned model still runs, the method's target is met,
// pruned weights stay exactly zero after optimizer steps, compaction is exact, and the pruner's
// state survives save/load.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "core/error.h"
#include "pruners/compaction.h"
#include "tests/pruners/pruner_test_util.h"

namespace tinyprune {
namespace {

std::vector<std::string> registered_methods() {
  register_builtin_pruners();
  return PrunerRegistry::global().names();
}

class PrunerContractTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PrunerContractTest, KeepsTheContract) {
  torch::set_num_threads(1);
  const std::string method = GetParam();
  const std::string example = PrunerRegistry::global().example(method);
  ASSERT_FALSE(example.empty()) << method << " registers no example section";
  const DataSplits data = testing::tiny_data();
  GraphModule model = testing::tiny_model("resnet20", data, 0.5);
  std::shared_ptr<Pruner> pruner = testing::make_pruner(example);
  EXPECT_EQ(pruner->method(), method);
  Trainer trainer(model, data, testing::tiny_train(3), TrainerEnv{"", 1, nullptr, false});
  trainer.add_callback(pruner);
  trainer.fit();
  GraphModule trained = trainer.model();

  // Runs and the target is met.
  const Batch b = data.test->get_unaugmented_batch({0, 1, 2, 3});
  trained->eval();
  const torch::Tensor out = trained->forward(b.images);
  EXPECT_TRUE(out.isfinite().all().item<bool>());
  EXPECT_TRUE(pruner->target_met()) << method << ": " << pruner->summary().dump(0);
  EXPECT_FALSE(pruner->masks().empty()) << method << " pruned nothing";

  // Pruned weights are exactly zero after the last optimizer step.
  for (int node : pruner->masks().masked_nodes()) {
    const torch::Tensor m = pruner->masks().effective_weight_mask(node);
    EXPECT_EQ((trained->weight(node) * (1 - m)).count_nonzero().item<int64_t>(), 0) << trained->graph().node(node).name;
  }

  // Compaction is exact.
  CompactionResult c = compact(trained, pruner->masks());
  c.model->eval();
  EXPECT_LE((c.model->forward(b.images) - out).abs().max().item<double>(), 1e-5);

  // State survives save/load into a fresh pruner of the same configuration.
  torch::serialize::OutputArchive ar;
  pruner->save_state(ar);
  std::stringstream ss;
  ar.save_to(ss);
  torch::serialize::InputArchive in;
  in.load_from(ss);
  std::shared_ptr<Pruner> again = testing::make_pruner(example);
  again->load_state(in);
  TrainContext ctx;
  ctx.model = trained;
  ctx.data = &data;
  ctx.steps_per_epoch = 6;
  ctx.total_steps = 18;
  ctx.step = 18;
  again->on_train_begin(ctx);
  EXPECT_EQ(again->masks().kept_widths(), pruner->masks().kept_widths());
  ASSERT_EQ(again->masks().masked_nodes(), pruner->masks().masked_nodes());
  for (int node : pruner->masks().masked_nodes())
    EXPECT_TRUE(again->masks().effective_weight_mask(node).equal(pruner->masks().effective_weight_mask(node)));
}

INSTANTIATE_TEST_SUITE_P(AllRegistered, PrunerContractTest, ::testing::ValuesIn(registered_methods()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

TEST(PrunerRegistryTest, UnknownMethodListsTheKnownOnes) {
  try {
    testing::make_pruner("{method: magnitud}");
    FAIL();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("magnitude"), std::string::npos) << msg;
    EXPECT_NE(msg.find("l1_filter"), std::string::npos) << msg;
  }
  EXPECT_THROW(PrunerRegistry::global().add("magnitude", "dup", [](ConfigNode&) { return nullptr; }), Error);
}

TEST(PrunerRegistryTest, BadOptionsAreConfigErrorsWithTheKey) {
  auto expect_error = [](const std::string& yaml, const std::string& needle) {
    try {
      testing::make_pruner(yaml);
      ADD_FAILURE() << "no error for " << yaml;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("{method: magnitude, sparsity: 1.5}", "prune.sparsity");
  expect_error("{method: magnitude, sparsity: 0.5, spasity: 0.5}", "spasity");
  expect_error("{method: l1_filter}", "exactly one of 'ratio'");
  expect_error("{method: l1_filter, ratio: 0.5, budget: {macs: 1e6}}", "exactly one of 'ratio'");
  expect_error("{method: uniform, budget: {model_size_kb: 0}}", "prune.budget.model_size_kb");
  expect_error("{sparsity: 0.5}", "missing key 'method'");
}

}  // namespace
}  // namespace tinyprune
