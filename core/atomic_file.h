// Atomic file writes: results and checkpoints are written to "<path>.tmp.<pid>" and renamed over
// `path`, so a crash or Ctrl-C never leaves a half-written file behind.
#pragma once

#include <functional>
#include <string>

namespace tinyprune {

// Writes `contents` to `path` atomically (creating parent directories). Throws Error on failure,
// naming the path and the OS error.
void write_file_atomic(const std::string& path, const std::string& contents);

// Calls `writer(tmp_path)` to produce the file, then renames it over `path`. Use for writers that
// need a path (e.g. torch::save). The temporary file is removed if `writer` throws.
void write_file_atomic_with(const std::string& path, const std::function<void(const std::string&)>& writer);

// Appends one line (a '\n' is added) to `path`, flushing it; for JSONL/CSV metric streams.
void append_line(const std::string& path, const std::string& line);

// Reads a whole file; throws Error naming the path if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace tinyprune
