// ConfigNode: a validating, typed view of one YAML map of an experiment file.
//
// Every Options struct reads its section through a ConfigNode (`XxxOptions::from_yaml(node)`).
// Each read records the key as known; `ConfigNode::finish()` on the root then rejects every key
// that nobody read, suggesting the nearest known key. Every error names the file, line, column
// and the dotted key path, says what was expected and what was found:
//
//   configs/q.yaml:14:5: train.lr: expected a number > 0, got "fast"
//   configs/q.yaml:9:3: train.optimiser: unknown key; did you mean "optimizer"?
//
// Usage:
//   ConfigNode root = ConfigNode::load_file("exp.yaml", {"train.lr=0.1"});  // --set overrides
//   ConfigNode train = root.child("train");
//   double lr = train.get_double("lr", /*def=*/0.1, /*min=*/0.0, /*max=*/10.0, /*min_open=*/true);
//   root.finish();  // throws ConfigError for unknown keys anywhere in the file
//
// Copies share state (the set of known keys); not thread-safe, used while loading only.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace tinyprune {

class ConfigNode {
 public:
  // Parses `file` and applies `overrides` ("a.b.c=value", value parsed as YAML).
  // Throws ConfigError for unreadable files, YAML syntax errors and malformed overrides.
  static ConfigNode load_file(const std::string& file, const std::vector<std::string>& overrides = {});
  // Wraps an in-memory YAML document; `source` is used in messages (e.g. "<string>").
  static ConfigNode from_yaml(YAML::Node node, const std::string& source);

  bool has(const std::string& key) const;
  bool is_empty() const;  // no keys (missing section or `{}`)

  // Typed reads of optional keys: the default is returned when the key is absent.
  // Range checks are inclusive unless *_open is set. Wrong types and out-of-range values throw.
  int64_t get_int(const std::string& key, int64_t def,
                  int64_t min = std::numeric_limits<int64_t>::min(),
                  int64_t max = std::numeric_limits<int64_t>::max());
  double get_double(const std::string& key, double def, double min = -std::numeric_limits<double>::infinity(),
                    double max = std::numeric_limits<double>::infinity(), bool min_open = false,
                    bool max_open = false);
  bool get_bool(const std::string& key, bool def);
  std::string get_string(const std::string& key, const std::string& def);
  // One of `choices`; the error lists them and suggests the nearest.
  std::string get_choice(const std::string& key, const std::string& def, const std::vector<std::string>& choices);
  std::vector<std::string> get_string_list(const std::string& key, const std::vector<std::string>& def = {});
  std::vector<int64_t> get_int_list(const std::string& key, const std::vector<int64_t>& def = {});
  // Required variants: a missing key is an error.
  std::string require_string(const std::string& key);

  // The map under `key` (an empty map if absent). Its keys are validated by finish() too.
  ConfigNode child(const std::string& key);
  // The raw YAML under `key`; the whole subtree counts as known (caller validates it).
  YAML::Node raw(const std::string& key);
  // Declares keys as known without reading them (e.g. sections validated elsewhere later).
  void declare(const std::vector<std::string>& keys);

  // A ConfigError located at `key` (or at this map if the key is absent): "file:L:C: path: what".
  ConfigError error(const std::string& key, const std::string& what) const;
  // Dotted path of `key` below this node ("train.lr").
  std::string path(const std::string& key) const;
  // "file:line:col" of `key` (or of this map).
  std::string location(const std::string& key = "") const;

  // Throws ConfigError for the first key anywhere in the document that no reader declared.
  void finish() const;

  // The document with every override applied.
  const YAML::Node& node() const { return node_; }
  // Every key a reader asked for, with the value in effect (given or default): the resolved
  // config written to the run directory. Raw subtrees are copied as given.
  YAML::Node resolved() const;

 private:
  struct State;
  ConfigNode(YAML::Node node, std::shared_ptr<State> state, std::string path);
  YAML::Node lookup(const std::string& key);  // marks the key known; null node if absent
  template <typename T>
  T record(const std::string& key, const T& value);  // stores the effective value for resolved()
  void check_unknown(const YAML::Node& node, const std::string& path) const;

  YAML::Node node_;
  std::shared_ptr<State> state_;
  std::string path_;
};

// Levenshtein distance; used for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);
// The candidate nearest to `word` if it is close enough to be a plausible typo, else "".
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace tinyprune
