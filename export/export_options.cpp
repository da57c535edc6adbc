#include "export/export_options.h"

#include <cctype>

#include "core/config_node.h"
#include "core/error.h"

namespace tinyprune {

namespace {

bool is_c_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

bool valid_alignment(int64_t a) { return a == 4 || a == 8 || a == 16 || a == 32 || a == 64; }

}  // namespace

ExportOptions ExportOptions::from_yaml(ConfigNode& node) {
  ExportOptions o;
  o.out = node.get_string("out", o.out);
  if (o.out.empty() || o.out.back() == '/') throw node.error("out", "expected a file name, got \"" + o.out + "\"");
  o.header = node.get_bool("header", o.header);
  o.header_file = node.get_string("header_file", o.header_file);
  o.header_symbol = node.get_string("header_symbol", o.header_symbol);
  if (!is_c_identifier(o.header_symbol))
    throw node.error("header_symbol", "expected a C identifier ([A-Za-z_][A-Za-z0-9_]*), got \"" + o.header_symbol + "\"");
  o.test_images = node.get_int("test_images", o.test_images, 0, 10000);
  o.calibration_batches = node.get_int("calibration_batches", o.calibration_batches, 1, 100000);
  o.calibration_batch_size = node.get_int("calibration_batch_size", o.calibration_batch_size, 1, 65536);
  o.calibration_seed = static_cast<uint64_t>(node.get_int("calibration_seed", static_cast<int64_t>(o.calibration_seed), 0));
  o.fwcs = node.get_choice("fwcs", o.fwcs, {"auto", "never", "always"});
  o.inplace_add = node.get_bool("inplace_add", o.inplace_add);
  o.arena_alignment = node.get_int("arena_alignment", o.arena_alignment, 4, 64);
  if (!valid_alignment(o.arena_alignment))
    throw node.error("arena_alignment", str_cat("expected 4, 8, 16, 32 or 64, got ", o.arena_alignment));
  return o;
}

void ExportOptions::validate() const {
  auto check = [](bool ok, const std::string& key, const std::string& what) {
    if (!ok) throw ConfigError("export." + key + ": " + what);
  };
  check(out.empty() || out.back() != '/', "out", "expected a file name, got \"" + out + "\"");
  check(is_c_identifier(header_symbol), "header_symbol", "expected a C identifier, got \"" + header_symbol + "\"");
  check(test_images >= 0 && test_images <= 10000, "test_images", str_cat("expected [0, 10000], got ", test_images));
  check(calibration_batches >= 1 && calibration_batches <= 100000, "calibration_batches",
        str_cat("expected [1, 100000], got ", calibration_batches));
  check(calibration_batch_size >= 1 && calibration_batch_size <= 65536, "calibration_batch_size",
        str_cat("expected [1, 65536], got ", calibration_batch_size));
  check(fwcs == "auto" || fwcs == "never" || fwcs == "always", "fwcs",
        "expected one of auto, never, always, got \"" + fwcs + "\"");
  check(valid_alignment(arena_alignment), "arena_alignment",
        str_cat("expected 4, 8, 16, 32 or 64, got ", arena_alignment));
}

}  // namespace tinyprune
