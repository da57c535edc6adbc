// Progress display for long work: a one-line progress bar (loss, accuracy, img/s, ETA) when
// stderr is a terminal, otherwise a log line every `interval_seconds` (CI logs stay readable).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace tinyprune {

class Progress {
 public:
  Progress(std::shared_ptr<spdlog::logger> log, int64_t total, double interval_seconds = 10.0);
  ~Progress();
  // `done` of `total` units; `fields` is a short "loss 0.41 acc 85.2%" text; `rate` units/s for ETA.
  void update(int64_t done, const std::string& fields, double images_per_second);
  void finish();  // clears the bar line

  // Whether stderr is an interactive terminal (and TERM is not "dumb").
  static bool is_terminal();

 private:
  std::shared_ptr<spdlog::logger> log_;
  int64_t total_;
  double interval_;
  bool tty_;
  bool bar_visible_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

// "1:23" / "1:02:03"
std::string format_duration(double seconds);

}  // namespace tinyprune
