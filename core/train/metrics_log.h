// MetricsLog: the run's metric streams, `metrics.jsonl` (one JSON object per record, appended and
// flushed as it happens) and `metrics.csv` (the same records as a table over the union of their
// keys, rewritten atomically at epoch ends and at the end of the run).
//
// Records carry at least "kind" ("step", "epoch", "prune", ...) and "step". On resume the existing
// JSONL is read back and the records written after the checkpoint are dropped, so the streams
// continue without duplicates. A disabled log (ranks other than 0, or no run directory) ignores
// everything.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/json.h"

namespace tinyprune {

class MetricsLog {
 public:
  MetricsLog() = default;  // disabled
  explicit MetricsLog(std::string run_dir);

  bool enabled() const { return !dir_.empty(); }
  void write(const Json& record);
  void write_csv() const;
  // Resume: keep the first `records` complete records (a line cut short by a crash does not
  // count), or with `records` < 0 (a checkpoint that did not store the count) the records with
  // step <= `step`. Rewrites metrics.jsonl atomically.
  void resume_at(int64_t records, int64_t step);
  size_t size() const { return rows_.size(); }

 private:
  std::string dir_;
  std::vector<std::string> columns_;
  std::vector<std::map<std::string, std::string>> rows_;
  std::vector<std::string> lines_;
};

}  // namespace tinyprune
