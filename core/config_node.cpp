#include "core/config_node.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace tinyprune {

struct ConfigNode::State {
  std::string file;
  YAML::Node root;
  // parent path -> keys any reader declared there (present or not)
  std::map<std::string, std::set<std::string>> known;
  // paths whose whole subtree is owned by a raw() reader
  std::set<std::string> opaque;
  // paths set from the command line (--set); messages say so
  std::set<std::string> overridden;
  // effective values of every key read (resolved config)
  YAML::Node resolved = YAML::Node(YAML::NodeType::Map);
};

namespace {

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a map";
  return "nothing";
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) parts.push_back(item);
  return parts;
}

}  // namespace

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

ConfigNode::ConfigNode(YAML::Node node, std::shared_ptr<State> state, std::string path)
    : node_(std::move(node)), state_(std::move(state)), path_(std::move(path)) {}

ConfigNode ConfigNode::from_yaml(YAML::Node node, const std::string& source) {
  auto state = std::make_shared<State>();
  state->file = source;
  if (!node || node.IsNull()) node = YAML::Node(YAML::NodeType::Map);
  if (!node.IsMap())
    throw ConfigError(str_cat(source, ":", node.Mark().line + 1, ":", node.Mark().column + 1,
                              ": expected a YAML map at the top level, got ", scalar_text(node)));
  state->root = node;
  return ConfigNode(node, state, "");
}

ConfigNode ConfigNode::load_file(const std::string& file, const std::vector<std::string>& overrides) {
  std::ifstream in(file);
  if (!in) throw ConfigError(str_cat(file, ": cannot open config file"));
  YAML::Node doc;
  try {
    doc = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    throw ConfigError(str_cat(file, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ", e.msg));
  }
  ConfigNode root = from_yaml(doc, file);
  for (const std::string& ov : overrides) {
    const auto eq = ov.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError(str_cat("--set ", ov, ": expected key.path=value"));
    const std::string key = ov.substr(0, eq);
    YAML::Node value;
    try {
      value = YAML::Load(ov.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      throw ConfigError(str_cat("--set ", ov, ": value is not valid YAML: ", e.msg));
    }
    // Walk down, creating maps; YAML::Node assignment semantics need a vector of handles.
    const auto parts = split(key, '.');
    std::vector<YAML::Node> chain{root.node_};
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node next = chain.back()[parts[i]];
      if (!next.IsDefined() || next.IsNull()) {
        chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
        next = chain.back()[parts[i]];
      } else if (!next.IsMap()) {
        throw ConfigError(str_cat("--set ", ov, ": \"", parts[i], "\" is not a map"));
      }
      chain.push_back(next);
    }
    chain.back()[parts.back()] = value;
    root.state_->overridden.insert(key);
  }
  return root;
}

std::string ConfigNode::path(const std::string& key) const { return join_path(path_, key); }

std::string ConfigNode::location(const std::string& key) const {
  const std::string p = path(key);
  if (state_->overridden.count(p)) return "--set " + p;
  // Never assign one YAML::Node to another that already refers into the document: yaml-cpp
  // assignment rebinds the *referenced* node, overwriting the map. Choose, then construct.
  const YAML::Node& doc = node_;
  const bool has_key = !key.empty() && doc.IsMap() && doc[key];
  const YAML::Node at = has_key ? doc[key] : doc;
  const auto mark = at.Mark();
  if (mark.line < 0) return state_->file;
  return str_cat(state_->file, ":", mark.line + 1, ":", mark.column + 1);
}

ConfigError ConfigNode::error(const std::string& key, const std::string& what) const {
  return ConfigError(str_cat(location(key), ": ", path(key), ": ", what));
}

template <typename T>
T ConfigNode::record(const std::string& key, const T& value) {
  const auto parts = split(path(key), '.');
  std::vector<YAML::Node> chain{state_->resolved};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (!next.IsMap()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = value;
  return value;
}

YAML::Node ConfigNode::resolved() const { return YAML::Clone(state_->resolved); }

bool ConfigNode::has(const std::string& key) const {
  return node_.IsMap() && node_[key] && !node_[key].IsNull();
}

bool ConfigNode::is_empty() const { return !node_.IsMap() || node_.size() == 0; }

YAML::Node ConfigNode::lookup(const std::string& key) {
  state_->known[path_].insert(key);
  // A default-constructed YAML::Node is a defined null; absence must be an *undefined* node.
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node v = node_[key];
  if (!v || v.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  return v;
}

void ConfigNode::declare(const std::vector<std::string>& keys) {
  for (const auto& k : keys) state_->known[path_].insert(k);
}

int64_t ConfigNode::get_int(const std::string& key, int64_t def, int64_t min, int64_t max) {
  YAML::Node v = lookup(key);
  if (!v) return record(key, def);
  int64_t out = 0;
  double as_double = 0;
  if (!v.IsScalar()) throw error(key, str_cat("expected an integer, got ", scalar_text(v)));
  if (!YAML::convert<int64_t>::decode(v, out)) {
    // Accept integral numbers written in float notation (e.g. 10e6 for a MAC budget).
    if (YAML::convert<double>::decode(v, as_double) && as_double == static_cast<double>(static_cast<int64_t>(as_double)))
      out = static_cast<int64_t>(as_double);
    else
      throw error(key, str_cat("expected an integer, got ", scalar_text(v)));
  }
  if (out < min || out > max) {
    std::string range = min == std::numeric_limits<int64_t>::min() ? str_cat("<= ", max)
                        : max == std::numeric_limits<int64_t>::max() ? str_cat(">= ", min)
                                                                     : str_cat("in [", min, ", ", max, "]");
    throw error(key, str_cat("expected an integer ", range, ", got ", out));
  }
  return record(key, out);
}

double ConfigNode::get_double(const std::string& key, double def, double min, double max, bool min_open,
                              bool max_open) {
  YAML::Node v = lookup(key);
  if (!v) return record(key, def);
  double out = 0;
  if (!v.IsScalar() || !YAML::convert<double>::decode(v, out))
    throw error(key, str_cat("expected a number, got ", scalar_text(v)));
  const bool low_bad = min_open ? !(out > min) : !(out >= min);
  const bool high_bad = max_open ? !(out < max) : !(out <= max);
  if (low_bad || high_bad) {
    std::string lo = std::isinf(min) ? "" : str_cat(min_open ? "> " : ">= ", min);
    std::string hi = std::isinf(max) ? "" : str_cat(max_open ? "< " : "<= ", max);
    throw error(key, str_cat("expected a number ", lo, (lo.empty() || hi.empty()) ? "" : " and ", hi, ", got ", out));
  }
  return record(key, out);
}

bool ConfigNode::get_bool(const std::string& key, bool def) {
  YAML::Node v = lookup(key);
  if (!v) return record(key, def);
  bool out = false;
  if (!v.IsScalar() || !YAML::convert<bool>::decode(v, out))
    throw error(key, str_cat("expected true or false, got ", scalar_text(v)));
  return record(key, out);
}

std::string ConfigNode::get_string(const std::string& key, const std::string& def) {
  YAML::Node v = lookup(key);
  if (!v) return record(key, def);
  if (!v.IsScalar()) throw error(key, str_cat("expected a string, got ", scalar_text(v)));
  return record(key, v.Scalar());
}

std::string ConfigNode::require_string(const std::string& key) {
  if (!has(key)) {
    lookup(key);
    throw error(key, "required key is missing");
  }
  return get_string(key, "");
}

std::string ConfigNode::get_choice(const std::string& key, const std::string& def,
                                   const std::vector<std::string>& choices) {
  const std::string v = get_string(key, def);
  if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  const std::string near = nearest(v, choices);
  throw error(key, str_cat("unknown value \"", v, "\"", near.empty() ? "" : str_cat("; did you mean \"", near, "\"?"),
                           " expected one of: ", list));
}

std::vector<std::string> ConfigNode::get_string_list(const std::string& key, const std::vector<std::string>& def) {
  YAML::Node v = lookup(key);
  if (!v) return record(key, def);
  if (v.IsScalar()) return record(key, std::vector<std::string>{v.Scalar()});
  if (!v.IsSequence()) throw error(key, str_cat("expected a list of strings, got ", scalar_text(v)));
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.IsScalar()) throw error(key, str_cat("expected a list of strings, found ", scalar_text(item)));
    out.push_back(item.Scalar());
  }
  return record(key, out);
}

std::vector<int64_t> ConfigNode::get_int_list(const std::string& key, const std::vector<int64_t>& def) {
  YAML::Node v = lookup(key);
  if (!v) return record(key, def);
  if (!v.IsSequence()) throw error(key, str_cat("expected a list of integers, got ", scalar_text(v)));
  std::vector<int64_t> out;
  for (const auto& item : v) {
    int64_t x = 0;
    if (!item.IsScalar() || !YAML::convert<int64_t>::decode(item, x))
      throw error(key, str_cat("expected a list of integers, found ", scalar_text(item)));
    out.push_back(x);
  }
  return record(key, out);
}

ConfigNode ConfigNode::child(const std::string& key) {
  YAML::Node v = lookup(key);
  if (!v) return ConfigNode(YAML::Node(YAML::NodeType::Map), state_, path(key));
  if (!v.IsMap()) throw error(key, str_cat("expected a map, got ", scalar_text(v)));
  return ConfigNode(v, state_, path(key));
}

YAML::Node ConfigNode::raw(const std::string& key) {
  state_->opaque.insert(path(key));
  YAML::Node v = lookup(key);
  if (v) record(key, YAML::Clone(v));
  return v;
}

void ConfigNode::check_unknown(const YAML::Node& node, const std::string& p) const {
  if (!node.IsMap()) return;
  const auto known_it = state_->known.find(p);
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const std::string full = join_path(p, key);
    const bool is_known = known_it != state_->known.end() && known_it->second.count(key);
    if (!is_known) {
      std::vector<std::string> cands;
      if (known_it != state_->known.end()) cands.assign(known_it->second.begin(), known_it->second.end());
      const std::string near = nearest(key, cands);
      std::string list;
      for (const auto& c : cands) list += (list.empty() ? "" : ", ") + c;
      std::string where = state_->overridden.count(full)
                              ? "--set " + full
                              : str_cat(state_->file, ":", kv.first.Mark().line + 1, ":", kv.first.Mark().column + 1);
      throw ConfigError(str_cat(where, ": ", full, ": unknown key",
                                near.empty() ? "" : str_cat("; did you mean \"", near, "\"?"),
                                list.empty() ? "" : str_cat(" (known keys here: ", list, ")")));
    }
    if (!state_->opaque.count(full)) check_unknown(kv.second, full);
  }
}

void ConfigNode::finish() const { check_unknown(state_->root, ""); }

}  // namespace tinyprune
