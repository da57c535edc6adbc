// Registry, ModelSpec::from_yaml, error messages and the structural contract of every zoo model.
#include "core/models/zoo.h"
#include "tests/models/model_test_util.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/config_node.h"
#include "core/error.h"
#include "core/models/builders.h"

namespace tinyprune {
namespace {

const std::vector<std::string> kBuiltins = {"mobilenetv2", "resnet12", "resnet18", "resnet20",
                                            "resnet56",    "vgg11",    "vgg11_dtmm", "vgg16"};

using testing::make_spec;

bool valid_name(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

int count_kind(const Graph& g, OpKind kind) {
  return static_cast<int>(std::count_if(g.nodes().begin(), g.nodes().end(),
                                        [&](const Node& n) { return n.kind == kind; }));
}

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no exception>";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- registry -------------------------------------------------------------------------------------

TEST(ZooRegistryTest, GlobalHasEveryBuiltinSortedWithDescriptions) {
  ModelRegistry& r = ModelRegistry::global();
  EXPECT_EQ(&r, &ModelRegistry::global());
  EXPECT_EQ(r.names(), kBuiltins);
  for (const auto& name : kBuiltins) {
    EXPECT_TRUE(r.contains(name));
    EXPECT_FALSE(r.description(name).empty()) << name;
  }
}

TEST(ZooRegistryTest, UnknownModelNameSuggestsNearestAndListsAll) {
  const std::string msg = error_of([] { build_model(make_spec("resnt20")); });
  EXPECT_TRUE(contains(msg, "unknown model \"resnt20\"")) << msg;
  EXPECT_TRUE(contains(msg, "did you mean \"resnet20\"?")) << msg;
  for (const auto& name : kBuiltins) EXPECT_TRUE(contains(msg, name)) << msg;
  EXPECT_THROW(build_model(make_spec("resnt20")), ConfigError);
  EXPECT_THROW(ModelRegistry::global().description("nope"), ConfigError);
}

TEST(ZooRegistryTest, UserModelsRegisterLikeBuiltins) {
  ModelRegistry r;
  register_builtin_models(r);
  r.add("tiny_cnn",
        [](const ModelSpec& s) {
          Graph g;
          int x = g.input(s.in_channels, s.height, s.width_px);
          x = g.relu(g.batch_norm(g.conv2d(x, scaled_channels(16, s.width), 3, 1, 1), "bn0"), "relu0");
          add_classifier_head(g, x, s);
          return g;
        },
        "test CNN");
  Graph g = r.build(make_spec("tiny_cnn", {1, 28, 28}, 0.5, 7));
  EXPECT_EQ(g.node(g.output()).shape, (TensorShape{7, 1, 1}));
  EXPECT_EQ(g.node(g.output()).name, "classifier");
  EXPECT_EQ(g.node(g.find("conv0")).out_channels, 8);
  EXPECT_THROW(r.add("tiny_cnn", build_vgg11, "dup"), Error);
  EXPECT_THROW(r.add("bad-name", build_vgg11, ""), Error);
  EXPECT_THROW(r.add("empty", ModelBuilder{}, ""), Error);
  // The global registry is untouched by a local one.
  EXPECT_FALSE(ModelRegistry::global().contains("tiny_cnn"));
}

TEST(ZooRegistryTest, BuilderResultMustMatchSpec) {
  ModelRegistry r;
  r.add("wrong_head",
        [](const ModelSpec& s) {
          Graph g;
          int x = g.input(s.in_channels, s.height, s.width_px);
          g.linear(g.flatten(x), s.num_classes + 1, true, "classifier");
          return g;
        },
        "");
  const std::string msg = error_of([&] { r.build(make_spec("wrong_head")); });
  EXPECT_TRUE(contains(msg, "model \"wrong_head\"")) << msg;
  EXPECT_TRUE(contains(msg, "expected (10,1,1)")) << msg;
  EXPECT_THROW(r.build(make_spec("wrong_head")), GraphError);
}

// --- size errors -------------------------------------------------------------------------------------

// The input-size rules (builders.h) make every built-in build for any H, W >= 1.
TEST(ZooInputSizeTest, EveryBuiltinBuildsOnOnePixel) {
  for (const auto& name : kBuiltins) {
    Graph g = build_model(make_spec(name, {1, 1, 1}));
    for (const Node& n : g.nodes()) {
      EXPECT_GE(n.shape.h, 1) << name << " " << n.name;
      EXPECT_GE(n.shape.w, 1) << name << " " << n.name;
    }
    EXPECT_EQ(g.node(g.output()).shape, (TensorShape{10, 1, 1})) << name;
  }
}

TEST(ZooInputSizeTest, EmptyInputIsAClearGraphError) {
  const std::string msg = error_of([] { build_model(make_spec("resnet18", {1, 0, 4})); });
  EXPECT_TRUE(contains(msg, "model \"resnet18\"")) << msg;
  EXPECT_TRUE(contains(msg, "(1,0,4) is too small")) << msg;
  EXPECT_THROW(build_model(make_spec("resnet18", {1, 0, 4})), GraphError);
  EXPECT_THROW(build_model(make_spec("vgg16", {0, 32, 32})), GraphError);
  EXPECT_THROW(build_model(make_spec("vgg16", {3, 32, 32}, 1.0, 0)), GraphError);
  EXPECT_THROW(build_model(make_spec("vgg16", {3, 32, 32}, 0.0)), GraphError);
  EXPECT_THROW(build_model(make_spec("vgg16", {3, 32, 32}, 4.5)), GraphError);
}

// A configuration that really does not fit (unpadded kernels on a tiny input) fails inside Graph
// with a GraphError naming the node.
TEST(ZooInputSizeTest, ModelThatDoesNotFitNamesTheNode) {
  ModelRegistry r;
  r.add("unpadded",
        [](const ModelSpec& s) {
          Graph g;
          int x = g.input(s.in_channels, s.height, s.width_px);
          x = g.conv2d(x, 8, /*kernel=*/5, /*stride=*/1, /*padding=*/0, 1, false, "conv5x5");
          x = g.max_pool(x, 2, 2, 0, "pool");
          add_classifier_head(g, x, s);
          return g;
        },
        "");
  EXPECT_NO_THROW(r.build(make_spec("unpadded", {1, 6, 6})));
  const std::string msg = error_of([&] { r.build(make_spec("unpadded", {1, 4, 4})); });
  EXPECT_TRUE(contains(msg, "node \"conv5x5\"")) << msg;
  EXPECT_TRUE(contains(msg, "too small")) << msg;
  EXPECT_THROW(r.build(make_spec("unpadded", {1, 4, 4})), GraphError);
  EXPECT_THROW(r.build(make_spec("unpadded", {1, 5, 5})), GraphError);  // 1x1 map under a 2x2 pool
}

// --- ModelSpec::from_yaml ------------------------------------------------------------------------

struct Parsed {
  ModelSpec spec;
  std::string error;
};

Parsed parse(const std::string& yaml) {
  Parsed out;
  try {
    ConfigNode root = ConfigNode::from_yaml(YAML::Load(yaml), "test.yaml");
    ConfigNode model = root.child("model");
    out.spec = ModelSpec::from_yaml(model, {1, 28, 28}, 10);
    root.finish();
  } catch (const ConfigError& e) {
    out.error = e.what();
  }
  return out;
}

TEST(ModelSpecTest, ReadsNameWidthDropoutAndTakesShapeFromData) {
  Parsed p = parse("model:\n  name: resnet20\n  width: 0.5\n  dropout: 0.25\n");
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.spec.name, "resnet20");
  EXPECT_DOUBLE_EQ(p.spec.width, 0.5);
  EXPECT_DOUBLE_EQ(p.spec.dropout, 0.25);
  EXPECT_EQ(p.spec.input_shape(), (TensorShape{1, 28, 28}));
  EXPECT_EQ(p.spec.num_classes, 10);

  Parsed d = parse("model:\n  name: vgg16\n");
  ASSERT_EQ(d.error, "");
  EXPECT_DOUBLE_EQ(d.spec.width, 1.0);
  EXPECT_DOUBLE_EQ(d.spec.dropout, 0.0);
}

TEST(ModelSpecTest, MissingNameIsAnError) {
  Parsed p = parse("model:\n  width: 0.5\n");
  EXPECT_TRUE(contains(p.error, "model.name")) << p.error;
  EXPECT_TRUE(contains(p.error, "required key is missing")) << p.error;
  EXPECT_TRUE(contains(p.error, "test.yaml")) << p.error;
}

TEST(ModelSpecTest, UnknownNameSuggestsNearestAndListsKnown) {
  Parsed p = parse("model:\n  name: vgg_16\n");
  EXPECT_TRUE(contains(p.error, "test.yaml:2:")) << p.error;
  EXPECT_TRUE(contains(p.error, "model.name")) << p.error;
  EXPECT_TRUE(contains(p.error, "did you mean \"vgg16\"?")) << p.error;
  for (const auto& name : kBuiltins) EXPECT_TRUE(contains(p.error, name)) << p.error;
}

TEST(ModelSpecTest, RejectsOutOfRangeWidthAndDropout) {
  for (const char* bad : {"0", "-1", "4.5", "wide"}) {
    Parsed p = parse(std::string("model:\n  name: vgg11\n  width: ") + bad + "\n");
    EXPECT_TRUE(contains(p.error, "model.width")) << bad << ": " << p.error;
  }
  EXPECT_EQ(parse("model:\n  name: vgg11\n  width: 4\n").error, "");
  for (const char* bad : {"1", "1.5", "-0.1"}) {
    Parsed p = parse(std::string("model:\n  name: vgg11\n  dropout: ") + bad + "\n");
    EXPECT_TRUE(contains(p.error, "model.dropout")) << bad << ": " << p.error;
  }
  EXPECT_EQ(parse("model:\n  name: vgg11\n  dropout: 0\n").error, "");
}

TEST(ModelSpecTest, UnknownKeyIsRejectedByFinish) {
  Parsed p = parse("model:\n  name: vgg11\n  widht: 0.5\n");
  EXPECT_TRUE(contains(p.error, "model.widht")) << p.error;
  EXPECT_TRUE(contains(p.error, "did you mean \"width\"?")) << p.error;
}

TEST(ModelSpecTest, ScaledChannelsRoundsToNearestAtLeastOne) {
  EXPECT_EQ(scaled_channels(16, 0.25), 4);
  EXPECT_EQ(scaled_channels(10, 0.25), 3);  // 2.5 rounds away from zero
  EXPECT_EQ(scaled_channels(3, 0.1), 1);    // never below 1
  EXPECT_EQ(scaled_channels(64, 1.5), 96);
  EXPECT_THROW(scaled_channels(16, 0.0), GraphError);
}

// --- the structural contract, for every model x input x width ----------------------------------

using ContractParam = std::tuple<std::string, TensorShape, double>;

class ZooContractTest : public ::testing::TestWithParam<ContractParam> {};

TEST_P(ZooContractTest, BuildsWithValidNamesShapesAndHead) {
  const auto& [name, input, width] = GetParam();
  Graph g = build_model(make_spec(name, input, width));

  EXPECT_EQ(g.node(g.input_id()).shape, input);
  const Node& out = g.node(g.output());
  EXPECT_EQ(out.name, "classifier");
  EXPECT_EQ(out.kind, OpKind::kLinear);
  EXPECT_EQ(out.shape, (TensorShape{10, 1, 1}));
  EXPECT_EQ(g.output(), g.size() - 1);
  EXPECT_EQ(count_kind(g, OpKind::kDropout), 0);

  std::set<std::string> names;
  for (const Node& n : g.nodes()) {
    EXPECT_TRUE(valid_name(n.name)) << n.name;
    EXPECT_TRUE(names.insert(n.name).second) << "duplicate " << n.name;
    EXPECT_GE(n.shape.c, 1) << n.name;
    EXPECT_GE(n.shape.h, 1) << n.name;
    EXPECT_GE(n.shape.w, 1) << n.name;
    if (n.kind == OpKind::kAdd) {
      ASSERT_EQ(n.inputs.size(), 2u) << n.name;
      EXPECT_EQ(g.node(n.inputs[0]).shape, g.node(n.inputs[1]).shape) << n.name;
    }
    // Every conv is followed by BatchNorm except DTMM ResNet-12's raw projection shortcuts.
    if (n.kind == OpKind::kConv2d && !(name == "resnet12" && contains(n.name, "shortcut"))) {
      const auto consumers = g.consumers(g.at(n.name));
      ASSERT_EQ(consumers.size(), 1u) << n.name;
      EXPECT_EQ(g.node(consumers[0]).kind, OpKind::kBatchNorm) << n.name;
    }
  }

  // Every node is reachable from the input and feeds the output (no dangling branches).
  std::vector<bool> live(static_cast<size_t>(g.size()), false);
  live[static_cast<size_t>(g.output())] = true;
  for (int i = g.size() - 1; i >= 0; --i)
    if (live[static_cast<size_t>(i)])
      for (int in : g.node(i).inputs) live[static_cast<size_t>(in)] = true;
  for (int i = 0; i < g.size(); ++i) EXPECT_TRUE(live[static_cast<size_t>(i)]) << g.node(i).name;

  // The serialized graph describes the same model.
  Graph back = Graph::from_yaml(YAML::Load(g.to_yaml()), "<zoo>");
  EXPECT_EQ(back.size(), g.size());
  EXPECT_EQ(back.param_count(), g.param_count());
  EXPECT_EQ(back.node(back.output()).shape, out.shape);
}

TEST_P(ZooContractTest, DropoutPrecedesClassifier) {
  const auto& [name, input, width] = GetParam();
  ModelSpec spec = make_spec(name, input, width);
  spec.dropout = 0.3;
  Graph g = build_model(spec);
  const Node& out = g.node(g.output());
  const Node& drop = g.node(out.inputs[0]);
  EXPECT_EQ(drop.kind, OpKind::kDropout);
  EXPECT_EQ(drop.name, "dropout");
  EXPECT_DOUBLE_EQ(drop.p, 0.3);
  EXPECT_EQ(g.param_count(), build_model(make_spec(name, input, width)).param_count());
}

std::string contract_name(const ::testing::TestParamInfo<ContractParam>& info) {
  const auto& [name, input, width] = info.param;
  return name + "_" + std::to_string(input.c) + "x" + std::to_string(input.h) + "x" + std::to_string(input.w) +
         "_w" + std::to_string(static_cast<int>(width * 100));
}

INSTANTIATE_TEST_SUITE_P(AllModels, ZooContractTest,
                         ::testing::Combine(::testing::ValuesIn(kBuiltins),
                                            ::testing::Values(TensorShape{1, 28, 28}, TensorShape{3, 32, 32}),
                                            ::testing::Values(0.25, 0.5, 1.0)),
                         contract_name);

}  // namespace
}  // namespace tinyprune
