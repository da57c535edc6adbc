#include "core/graph_module.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/models/zoo.h"

namespace tinyprune {
namespace {

int64_t module_params(GraphModule& m) {
  int64_t n = 0;
  for (const auto& p : m->parameters()) n += p.numel();
  return n;
}

// Every zoo model runs in LibTorch with the graph's parameter count and output shape.
TEST(GraphModuleTest, RunsEveryZooModel) {
  torch::manual_seed(0);
  for (const std::string& name : ModelRegistry::global().names()) {
    ModelSpec spec;
    spec.name = name;
    spec.width = 0.25;
    spec.in_channels = 1;
    spec.height = spec.width_px = 28;
    spec.num_classes = 10;
    GraphModule m(build_model(spec));
    EXPECT_EQ(module_params(m), m->graph().param_count()) << name;
    m->eval();
    torch::NoGradGuard no_grad;
    auto y = m->forward(torch::randn({2, 1, 28, 28}));
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 10})) << name;
    EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << name;
  }
}

TEST(GraphModuleTest, ParametersAreNamedAfterNodes) {
  Graph g;
  int x = g.input(3, 8, 8);
  x = g.batch_norm(g.conv2d(x, 4, 3, 1, 1, 1, true, "stem"), "stem_bn");
  g.linear(g.flatten(g.global_avg_pool(x)), 5, true, "classifier");
  GraphModule m(g);
  auto params = m->named_parameters();
  for (const char* key : {"stem.weight", "stem.bias", "stem_bn.weight", "stem_bn.bias", "classifier.weight"})
    EXPECT_TRUE(params.contains(key)) << key;
  EXPECT_TRUE(m->named_buffers().contains("stem_bn.running_mean"));
}

TEST(GraphModuleTest, OutputMaskZeroesChannelsAndForwardAllMatches) {
  torch::manual_seed(1);
  Graph g;
  int x = g.input(1, 6, 6);
  int c = g.conv2d(x, 4, 3, 1, 1, 1, false, "conv");
  int r = g.relu(c);
  g.linear(g.flatten(g.global_avg_pool(r)), 3);
  GraphModule m(g);
  m->set_output_mask(c, torch::tensor({1.f, 0.f, 1.f, 0.f}));
  auto all = m->forward_all(torch::randn({2, 1, 6, 6}));
  EXPECT_EQ(all[static_cast<size_t>(c)].select(1, 1).abs().max().item<float>(), 0.f);
  EXPECT_EQ(all[static_cast<size_t>(c)].select(1, 3).abs().max().item<float>(), 0.f);
  EXPECT_GT(all[static_cast<size_t>(c)].select(1, 0).abs().max().item<float>(), 0.f);
  EXPECT_THROW(m->set_output_mask(c, torch::ones({3})), GraphError);
  EXPECT_THROW(m->forward(torch::randn({2, 3, 6, 6})), GraphError);
}

// Channels-last must reach every conv, also one with a single input channel (whose contiguous
// weight already counts as channels_last-contiguous but keeps NCHW strides), keep the parameter
// tensors (optimizers hold them), propagate to the activations, and not change the values.
TEST(GraphModuleTest, ChannelsLastConvertsEveryConvInPlaceAndKeepsValues) {
  torch::manual_seed(2);
  ModelSpec spec;
  spec.name = "resnet20";
  spec.width = 0.25;
  spec.in_channels = 1;
  spec.height = spec.width_px = 12;
  spec.num_classes = 3;
  GraphModule m(build_model(spec));
  m->eval();
  const torch::Tensor x = torch::randn({2, 1, 12, 12});
  torch::NoGradGuard no_grad;
  const torch::Tensor ref = m->forward(x);
  std::vector<const void*> impls;
  for (const auto& p : m->parameters()) impls.push_back(p.unsafeGetTensorImpl());

  m->set_memory_format(c10::MemoryFormat::ChannelsLast);
  EXPECT_EQ(m->memory_format(), c10::MemoryFormat::ChannelsLast);
  const Graph& g = m->graph();
  int first_conv = -1;
  for (int id = 0; id < g.size(); ++id) {
    if (g.node(id).kind != OpKind::kConv2d) continue;
    if (first_conv < 0) first_conv = id;
    EXPECT_EQ(m->weight(id).suggest_memory_format(), c10::MemoryFormat::ChannelsLast) << g.node(id).name;
  }
  ASSERT_EQ(m->weight(first_conv).size(1), 1);
  size_t i = 0;
  for (const auto& p : m->parameters()) EXPECT_EQ(p.unsafeGetTensorImpl(), impls[i++]);
  const auto all = m->forward_all(x);
  EXPECT_EQ(all[static_cast<size_t>(first_conv)].suggest_memory_format(), c10::MemoryFormat::ChannelsLast);
  EXPECT_TRUE(torch::allclose(m->forward(x), ref, 1e-4, 1e-5));

  m->set_memory_format(c10::MemoryFormat::Contiguous);
  for (int id = 0; id < g.size(); ++id)
    if (g.node(id).kind == OpKind::kConv2d) EXPECT_TRUE(m->weight(id).is_contiguous()) << g.node(id).name;
  EXPECT_TRUE(torch::allclose(m->forward(x), ref, 1e-4, 1e-5));
  EXPECT_THROW(m->set_memory_format(c10::MemoryFormat::ChannelsLast3d), GraphError);
}

}  // namespace
}  // namespace tinyprune
