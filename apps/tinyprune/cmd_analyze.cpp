#include <cstdio>
#include <filesystem>
#include <sstream>

#include "apps/tinyprune/args.h"
#include "apps/tinyprune/commands.h"
#include "core/error.h"
#include "core/experiment.h"
#include "core/models/zoo.h"
#include "core/resources/resource_model.h"
#include "core/resources/resource_report.h"
#include "core/train/checkpoint.h"
#include "datasets/dataset.h"
#include "datasets/registry.h"

namespace tinyprune::cli {
namespace {

TensorShape parse_input(const std::string& text) {
  TensorShape s;
  char x1 = 0, x2 = 0;
  std::istringstream in(text);
  if (!(in >> s.c >> x1 >> s.h >> x2 >> s.w) || x1 != 'x' || x2 != 'x' || s.c <= 0 || s.h <= 0 || s.w <= 0 ||
      in.peek() != EOF)
    throw UsageError{"--input expects CxHxW with positive integers (e.g. 3x32x32), got \"" + text + "\""};
  return s;
}

// The graph to analyze: a run directory (its final model), a config (model + data set shape), or
// a zoo model named on the command line.
Graph graph_from_args(const Args& args) {
  if (args.value("model")) {
    if (!args.positional().empty()) throw UsageError{"give either CONFIG|RUN_DIR or --model, not both"};
    ModelSpec spec;
    spec.name = *args.value("model");
    spec.width = args.value("width") ? std::stod(*args.value("width")) : 1.0;
    if (!args.value("input")) throw UsageError{"--model needs --input CxHxW"};
    const TensorShape in = parse_input(*args.value("input"));
    spec.in_channels = in.c;
    spec.height = in.h;
    spec.width_px = in.w;
    if (!args.value("classes")) throw UsageError{"--model needs --classes N"};
    spec.num_classes = std::stoll(*args.value("classes"));
    return build_model(spec);
  }
  if (args.positional().size() != 1) throw UsageError{"expected one CONFIG or RUN_DIR (or --model ...)"};
  const std::string path = args.positional()[0];
  if (std::filesystem::is_directory(path)) {
    if (std::filesystem::exists(path + "/model.pt")) return load_model(path + "/model.pt")->graph();
    if (std::filesystem::exists(path + "/checkpoints/last.pt")) return read_checkpoint_graph(path + "/checkpoints/last.pt");
    throw Error(path + ": not a run directory (no model.pt or checkpoints/last.pt)");
  }
  // A config: the input shape and class count come from the data set, as in `tinyprune run`.
  const ExperimentConfig config = ExperimentConfig::load(path);
  const DataSplits data = DatasetRegistry::global().create(config.data, config.seed);
  return build_model(config.model.for_data(data.train->sample_shape(), data.train->num_classes()));
}

}  // namespace

int analyze_command(const std::vector<std::string>& argv) {
  Args args(argv, {{"json", false}, {"inplace-add", false}, {"model", true}, {"width", true}, {"input", true},
                   {"classes", true}, {"state-cap", true}});
  ResourceOptions options;
  options.inplace_add = args.flag("inplace-add");
  if (args.value("state-cap")) options.dp_state_cap = std::stoll(*args.value("state-cap"));
  const ResourceModel model(graph_from_args(args), options);
  const ResourceReport report = model.evaluate();
  if (args.flag("json"))
    std::printf("%s\n", resource_json(model, report).dump(2).c_str());
  else
    std::printf("%s", format_resource_table(model, report).c_str());
  return kExitOk;
}

}  // namespace tinyprune::cli
