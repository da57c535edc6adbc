// Error types and the TP_CHECK macro used across TinyPrune.
//
// C++ code throws; it never returns sentinel values. Every message says where the problem is
// (file, line, key, node or byte offset), what was expected and what was found. Only `main`
// (apps/tinyprune) catches and prints.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace tinyprune {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Bad YAML or CLI options: `tinyprune` exits with status 2 and writes nothing.
class ConfigError : public Error {
 public:
  using Error::Error;
};
// Unreadable, corrupt or inconsistent data files.
class DataError : public Error {
 public:
  using Error::Error;
};
// A graph that violates the IR's rules (bad shapes, unknown node, wrong channel counts).
class GraphError : public Error {
 public:
  using Error::Error;
};
// Resource-model failures (e.g. the exact peak-memory DP exceeded its state cap).
class ResourceError : public Error {
 public:
  using Error::Error;
};
// Export / quantization / blob failures.
class ExportError : public Error {
 public:
  using Error::Error;
};

namespace detail {
inline void str_append(std::ostringstream&) {}
template <typename T, typename... Rest>
void str_append(std::ostringstream& os, const T& v, const Rest&... rest) {
  os << v;
  str_append(os, rest...);
}
}  // namespace detail

// Joins its arguments with operator<< (like TORCH_CHECK's message arguments).
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  detail::str_append(os, args...);
  return os.str();
}

}  // namespace tinyprune

// TP_CHECK(cond, "message ", value, ...) throws tinyprune::Error when cond is false.
// TP_CHECK_T(ErrorType, cond, ...) throws the given error type.
#define TP_CHECK_T(ErrorType, cond, ...)                         \
  do {                                                           \
    if (!(cond)) throw ErrorType(::tinyprune::str_cat(__VA_ARGS__)); \
  } while (0)
#define TP_CHECK(cond, ...) TP_CHECK_T(::tinyprune::Error, cond, __VA_ARGS__)
