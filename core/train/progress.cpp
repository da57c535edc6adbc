#include "core/train/progress.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tinyprune {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

bool Progress::is_terminal() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDERR_FILENO) && !(term && std::strcmp(term, "dumb") == 0);
}

Progress::Progress(std::shared_ptr<spdlog::logger> log, int64_t total, double interval_seconds)
    : log_(std::move(log)), total_(total), interval_(interval_seconds), tty_(is_terminal()),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(int64_t done, const std::string& fields, double images_per_second) {
  const auto now = std::chrono::steady_clock::now();
  const double since_last = std::chrono::duration<double>(now - last_).count();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : NAN;
  if (tty_) {
    if (since_last < 0.2 && done < total_) return;  // redraw at most 5x per second
    last_ = now;
    const int width = 24;
    const int filled = total_ > 0 ? static_cast<int>(width * done / total_) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r\033[K[%s] %lld/%lld %s %.0f img/s ETA %s", bar.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total_), fields.c_str(), images_per_second, format_duration(eta).c_str());
    std::fflush(stderr);
    bar_visible_ = true;
    return;
  }
  if (since_last < interval_ && done < total_) return;
  last_ = now;
  log_->info("progress step={}/{} {} img_per_s={:.0f} eta={}", done, total_, fields, images_per_second,
             format_duration(eta));
}

void Progress::finish() {
  if (tty_ && bar_visible_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    bar_visible_ = false;
  }
}

}  // namespace tinyprune
