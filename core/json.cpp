#include "core/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tinyprune {

Json& Json::operator[](const std::string& key) {
  if (type_ == Type::kNull) type_ = Type::kObject;
  for (auto& kv : obj_)
    if (kv.first == key) return kv.second;
  obj_.emplace_back(key, Json());
  return obj_.back().second;
}

const Json* Json::find(const std::string& key) const {
  for (const auto& kv : obj_)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

void Json::push_back(Json v) {
  if (type_ == Type::kNull) type_ = Type::kArray;
  arr_.push_back(std::move(v));
}

size_t Json::size() const { return type_ == Type::kArray ? arr_.size() : obj_.size(); }

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void Json::dump_to(std::string& out, int indent, int depth) const {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent * d), ' ');
  };
  switch (type_) {
    case Type::kNull: out += "null"; break;
    case Type::kBool: out += bool_ ? "true" : "false"; break;
    case Type::kInteger: out += std::to_string(int_); break;
    case Type::kNumber: {
      if (!std::isfinite(num_)) { out += "null"; break; }
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", num_);
      // Prefer the shortest representation that round-trips.
      for (int prec = 6; prec <= 17; ++prec) {
        char shorter[32];
        std::snprintf(shorter, sizeof shorter, "%.*g", prec, num_);
        if (std::strtod(shorter, nullptr) == num_) { std::snprintf(buf, sizeof buf, "%s", shorter); break; }
      }
      out += buf;
      break;
    }
    case Type::kString: out += json_quote(str_); break;
    case Type::kArray:
      out += '[';
      for (size_t i = 0; i < arr_.size(); ++i) {
        if (i) out += indent < 0 ? "," : ",";
        newline(depth + 1);
        arr_[i].dump_to(out, indent, depth + 1);
      }
      if (!arr_.empty()) newline(depth);
      out += ']';
      break;
    case Type::kObject:
      out += '{';
      for (size_t i = 0; i < obj_.size(); ++i) {
        if (i) out += ",";
        newline(depth + 1);
        out += json_quote(obj_[i].first);
        out += indent < 0 ? ":" : ": ";
        obj_[i].second.dump_to(out, indent, depth + 1);
      }
      if (!obj_.empty()) newline(depth);
      out += '}';
      break;
  }
}

std::string Json::to_text() const {
  if (type_ == Type::kString) return str_;
  if (type_ == Type::kNull) return "";
  return dump();
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

}  // namespace tinyprune
