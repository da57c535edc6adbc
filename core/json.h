// A small JSON value for writing results (summary.json, metrics.jsonl, `analyze --json`).
//
// Reading JSON back uses yaml-cpp (JSON is valid YAML), so this type only builds and prints.
//   Json j = Json::object();
//   j["params"] = 1234;  j["layers"] = Json::array();  j["layers"].push_back(Json::object());
//   std::string text = j.dump(2);
// Numbers are printed with up to 17 significant digits (round-trippable); NaN/inf print as null.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tinyprune {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kInteger, kString, kArray, kObject };

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::kBool), bool_(b) {}
  Json(int v) : type_(Type::kInteger), int_(v) {}
  Json(int64_t v) : type_(Type::kInteger), int_(v) {}
  Json(uint64_t v) : type_(Type::kInteger), int_(static_cast<int64_t>(v)) {}
  Json(double v) : type_(Type::kNumber), num_(v) {}
  Json(float v) : type_(Type::kNumber), num_(v) {}
  Json(const char* s) : type_(Type::kString), str_(s) {}
  Json(std::string s) : type_(Type::kString), str_(std::move(s)) {}
  template <typename T>
  Json(const std::vector<T>& v) : type_(Type::kArray) {
    for (const auto& x : v) arr_.emplace_back(x);
  }

  static Json object() { Json j; j.type_ = Type::kObject; return j; }
  static Json array() { Json j; j.type_ = Type::kArray; return j; }

  Type type() const { return type_; }
  // Object access; converts a null value into an object. Keys keep insertion order.
  Json& operator[](const std::string& key);
  const Json* find(const std::string& key) const;
  // Array append; converts a null value into an array.
  void push_back(Json v);
  size_t size() const;
  // Object members in insertion order (empty for non-objects); array elements.
  const std::vector<std::pair<std::string, Json>>& items() const { return obj_; }
  const std::vector<Json>& elements() const { return arr_; }
  // Numeric value (integer or floating); 0 for other types.
  double as_double() const { return type_ == Type::kInteger ? static_cast<double>(int_) : num_; }
  // Scalars as plain text (strings unquoted); containers as compact JSON. For CSV cells.
  std::string to_text() const;

  // Compact when indent < 0, else pretty-printed with `indent` spaces.
  std::string dump(int indent = -1) const;

 private:
  void dump_to(std::string& out, int indent, int depth) const;

  Type type_ = Type::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  double num_ = 0;
  std::string str_;
  std::vector<Json> arr_;
  std::vector<std::pair<std::string, Json>> obj_;
};

// Escapes a string for JSON (quotes included).
std::string json_quote(const std::string& s);

}  // namespace tinyprune
