#include "apps/tinyprune/commands.h"

namespace tinyprune::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"run", "train (and prune, export) from a YAML experiment file",
       "Usage: tinyprune run CONFIG [--set key.path=value ...] [--out DIR] [--no-progress]\n\n"
       "Runs the experiment described by CONFIG (see configs/). Results go to the run directory\n"
       "(<output_dir>/<name>, or DIR): config.yaml, graph.yaml, model.pt, metrics.jsonl/.csv,\n"
       "summary.json, checkpoints/. Prints the run directory on success.\n\n"
       "  --set key.path=value  override a config value (YAML syntax), repeatable\n"
       "  --out DIR             write the run to DIR\n"
       "  --no-progress         no progress bar (periodic log lines are still written)\n\n"
       "Ctrl-C stops after writing a checkpoint; continue with --set train.resume=true.\n",
       run_command},
      {"analyze", "resources of a model: params, int8 size, MACs, peak memory",
       "Usage: tinyprune analyze CONFIG|RUN_DIR [--json] [--inplace-add]\n"
       "       tinyprune analyze --model NAME [--width W] --input CxHxW --classes N [--json]\n\n"
       "Prints a per-layer table and totals: parameters, int8 model size (weights + int32 bias +\n"
       "per-channel requantization), MACs, and peak activation memory (exact minimum over\n"
       "execution orders, default order, and the naive per-op bound).\n\n"
       "  --json          one JSON object instead of the table\n"
       "  --inplace-add   let a residual Add overwrite one of its summands\n"
       "  --state-cap N   memo-state cap of the exact peak-memory search (default 1e6; past it the\n"
       "                  default order is reported, with a warning)\n",
       analyze_command},
      {"export", "int8 .fwcs blob (+ C header) for the MCU runtime from a run directory",
       "Usage: tinyprune export RUN_DIR [--out FILE.fwcs] [--header FILE.h | --no-header]\n"
       "                        [--calibration-batches N] [--fwcs auto|never|always]\n"
       "                        [--test-images N] [--header-symbol NAME] [--inplace-add] [--json]\n\n"
       "Quantizes RUN_DIR/model.pt to int8 (per-channel weights, per-tensor activations calibrated\n"
       "on training images, BN folded, ReLU fused), plans the activation arena in the exact-PMU\n"
       "execution order and writes RUN_DIR/model.fwcs, RUN_DIR/model.h and RUN_DIR/export.json.\n"
       "Prints per-layer storage (dense / FWCS), flash bytes, arena bytes, exact PMU and MACs.\n\n"
       "  --out FILE.fwcs            blob path (default RUN_DIR/model.fwcs)\n"
       "  --header FILE.h            C header path (default: the blob path with .h)\n"
       "  --no-header                do not write the C header\n"
       "  --calibration-batches N    training batches of 32 images for calibration (default 8)\n"
       "  --fwcs auto|never|always   conv weight storage: FWCS when smaller (default), dense, FWCS\n"
       "  --test-images N            embed N quantized test images and the host runtime's outputs\n"
       "                             in the header (firmware self-test, examples/mcu_app)\n"
       "  --header-symbol NAME       C prefix in the header: NAME_blob[], NAME_ARENA_SIZE (default model)\n"
       "  --inplace-add              residual adds overwrite a dying summand (smaller arena)\n"
       "  --json                     print export.json instead of the table\n",
       export_command},
      {"eval", "accuracy of a .fwcs blob with the host runtime (and agreement with fp32)",
       "Usage: tinyprune eval FILE.fwcs [CONFIG | RUN_DIR | --data NAME [--root DIR]]\n"
       "                      [--limit N] [--threads N] [--json]\n\n"
       "Runs the C runtime (host build) on every test image: quantizes the normalized image with\n"
       "the blob's input scale/zero point, invokes, takes the arg-max. Prints int8 accuracy, flash\n"
       "bytes, arena bytes (tpr_arena_size) and MACs. With a RUN_DIR holding model.pt it also prints\n"
       "the LibTorch fp32 accuracy and the agreement (runtime top-1 == fp32 top-1). Without a data\n"
       "argument, a blob inside a run directory evaluates on that run's data.\n\n"
       "  CONFIG            experiment file: its data section (normalization!) and seed\n"
       "  RUN_DIR           run directory: config.yaml, and model.pt for the agreement\n"
       "  --data NAME       a registered data set with its default normalization\n"
       "  --root DIR        the data set's files (with --data)\n"
       "  --limit N         first N test images only\n"
       "  --threads N       runtime threads (default: all cores)\n"
       "  --json            one JSON object\n",
       eval_command},
      {"portfolio", "list the variants of a model portfolio (.tpf) or switch to one",
       "Usage: tinyprune portfolio FILE.tpf|RUN_DIR [--list] [--switch N [--export OUT.fwcs]] [--json]\n\n"
       "A portfolio holds several variants of one model (e.g. the structurally converted IMP\n"
       "levels), each DEFLATE-compressed; RUN_DIR means RUN_DIR/portfolio.tpf. Without options (or\n"
       "with --list) prints one row per variant: level, sparsity, accuracy, params, MACs, peak\n"
       "memory, measured latency, compressed and uncompressed bytes.\n\n"
       "  --list       the variant table (default when --switch is not given)\n"
       "  --switch N   inflate and load variant N (0-based), run one forward pass on a zero input and\n"
       "               print the switch time (inflate + load), the forward time and the memory\n"
       "  --export OUT.fwcs  with --switch: export that variant to int8 .fwcs (+ OUT.h), calibrated\n"
       "               on the training split of the run whose config.yaml sits next to the portfolio\n"
       "  --json       one JSON object instead of the table\n",
       portfolio_command},
  };
  return kCommands;
}

}  // namespace tinyprune::cli
