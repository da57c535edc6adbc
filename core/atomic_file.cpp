#include "core/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace tinyprune {
namespace fs = std::filesystem;

namespace {
std::string temp_path_for(const std::string& path) { return str_cat(path, ".tmp.", ::getpid()); }

void ensure_parent(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw Error(str_cat(parent.string(), ": cannot create directory: ", ec.message()));
  }
}
}  // namespace

void write_file_atomic_with(const std::string& path, const std::function<void(const std::string&)>& writer) {
  ensure_parent(path);
  const std::string tmp = temp_path_for(path);
  try {
    writer(tmp);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(str_cat(path, ": cannot rename temporary file into place: ", ec.message()));
  }
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  write_file_atomic_with(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(str_cat(tmp, ": cannot open for writing: ", std::strerror(errno)));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) throw Error(str_cat(tmp, ": write failed: ", std::strerror(errno)));
  });
}

void append_line(const std::string& path, const std::string& line) {
  ensure_parent(path);
  std::ofstream out(path, std::ios::app);
  if (!out) throw Error(str_cat(path, ": cannot open for appending: ", std::strerror(errno)));
  out << line << '\n';
  out.flush();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(str_cat(path, ": cannot open: ", std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tinyprune
