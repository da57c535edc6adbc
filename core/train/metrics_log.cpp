#include "core/train/metrics_log.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "core/atomic_file.h"

namespace tinyprune {
namespace {

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

MetricsLog::MetricsLog(std::string run_dir) : dir_(std::move(run_dir)) {}

void MetricsLog::write(const Json& record) {
  if (!enabled()) return;
  const std::string line = record.dump();
  append_line(dir_ + "/metrics.jsonl", line);
  lines_.push_back(line);
  std::map<std::string, std::string> row;
  for (const auto& kv : record.items()) {
    row[kv.first] = kv.second.to_text();
    if (std::find(columns_.begin(), columns_.end(), kv.first) == columns_.end()) columns_.push_back(kv.first);
  }
  rows_.push_back(std::move(row));
}

void MetricsLog::write_csv() const {
  if (!enabled()) return;
  std::ostringstream out;
  for (size_t i = 0; i < columns_.size(); ++i) out << (i ? "," : "") << csv_cell(columns_[i]);
  out << "\n";
  for (const auto& row : rows_) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      auto it = row.find(columns_[i]);
      out << (i ? "," : "") << (it == row.end() ? "" : csv_cell(it->second));
    }
    out << "\n";
  }
  write_file_atomic(dir_ + "/metrics.csv", out.str());
}

void MetricsLog::resume_at(int64_t records, int64_t step) {
  if (!enabled()) return;
  const std::string path = dir_ + "/metrics.jsonl";
  if (!std::filesystem::exists(path)) return;
  std::istringstream in(read_file(path));
  std::string line, kept;
  rows_.clear();
  lines_.clear();
  columns_.clear();
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    YAML::Node rec;
    try {
      rec = YAML::Load(line);
    } catch (const YAML::Exception&) {
      continue;  // a line cut short by a crash: drop it
    }
    if (!rec.IsMap()) continue;
    if (records >= 0 ? static_cast<int64_t>(rows_.size()) >= records
                     : rec["step"] && rec["step"].as<int64_t>(0) > step)
      continue;
    std::map<std::string, std::string> row;
    for (const auto& kv : rec) {
      const std::string key = kv.first.as<std::string>();
      row[key] = kv.second.IsScalar() ? kv.second.Scalar() : "";
      if (std::find(columns_.begin(), columns_.end(), key) == columns_.end()) columns_.push_back(key);
    }
    rows_.push_back(std::move(row));
    lines_.push_back(line);
    kept += line + "\n";
  }
  write_file_atomic(path, kept);
}

}  // namespace tinyprune
