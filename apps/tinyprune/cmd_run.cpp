#include <cstdio>

#include "apps/tinyprune/args.h"
#include "apps/tinyprune/commands.h"
#include "core/experiment.h"
#include "core/run.h"
#include "core/train/interrupt.h"

namespace tinyprune::cli {

int run_command(const std::vector<std::string>& argv) {
  Args args(argv, {{"set", true, true}, {"out", true}, {"no-progress", false}});
  if (args.positional().size() != 1) throw UsageError{"expected exactly one CONFIG file"};
  // Parse and validate everything first: a config error exits 2 and writes nothing.
  const ExperimentConfig config = ExperimentConfig::load(args.positional()[0], args.values("set"));
  RunOptions options;
  options.out_dir = args.value("out").value_or("");
  options.show_progress = !args.flag("no-progress");
  install_interrupt_handler();
  const RunResult r = run_experiment(config, options);
  if (r.train.interrupted) return kExitInterrupted;
  std::printf("%s\n", r.run_dir.c_str());
  return kExitOk;
}

}  // namespace tinyprune::cli
