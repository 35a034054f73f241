#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace vssoff {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mutex;
std::string g_prefix = "vssoff";
bool g_status_line_open = false;  // a tty status line is on screen and needs a newline

std::string format_duration(double s) {
  if (s < 0 || s > 1e7) return "?";
  int t = static_cast<int>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}
}  // namespace

void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel log_level() { return static_cast<LogLevel>(g_level.load()); }
void set_log_prefix(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_prefix = prefix;
}

void log_line(LogLevel min_level, const std::string& tag, const std::string& message) {
  if (g_level.load() < static_cast<int>(min_level)) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_status_line_open) {
    std::fputc('\n', stderr);
    g_status_line_open = false;
  }
  std::fprintf(stderr, "%s: %s%s\n", g_prefix.c_str(), tag.c_str(), message.c_str());
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), tty_(isatty(2) == 1) {
  start_ = last_print_ = std::chrono::steady_clock::now();
  interval_s_ = tty_ ? 0.1 : 5.0;
  if (const char* env = std::getenv("VSSOFF_PROGRESS_SECONDS"); env && !tty_) {
    interval_s_ = std::atof(env);
  }
}

Progress::~Progress() {
  if (!finished_) finish();
}

void Progress::update(int64_t done) {
  done_ = done;
  if (log_level() < LogLevel::kInfo) return;
  auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_print_).count() < interval_s_) return;
  last_print_ = now;
  print(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (log_level() >= LogLevel::kInfo) print(true);
}

void Progress::print(bool final) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  // "12.3 frames/s", or for slow units "37.5 s each" (a rate under one would print as 0.0).
  char speed[64];
  if (rate > 0 && rate < 1)
    std::snprintf(speed, sizeof speed, "%.1f s each", 1 / rate);
  else
    std::snprintf(speed, sizeof speed, "%.1f %s/s", rate, unit_.c_str());
  char line[256];
  if (final) {
    std::snprintf(line, sizeof line, "%s %lld %s in %s (%s)", label_.c_str(), static_cast<long long>(done_),
                  unit_.c_str(), format_duration(elapsed).c_str(), speed);
  } else if (total_ > 0) {
    double eta = rate > 0 ? (total_ - done_) / rate : -1;
    std::snprintf(line, sizeof line, "%s %lld/%lld %s (%.0f%%), %s, ETA %s", label_.c_str(),
                  static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(), 100.0 * done_ / total_,
                  speed, format_duration(eta).c_str());
  } else {
    std::snprintf(line, sizeof line, "%s %lld %s, %s", label_.c_str(), static_cast<long long>(done_), unit_.c_str(),
                  speed);
  }
  if (!detail_.empty())
    std::snprintf(line + std::strlen(line), sizeof line - std::strlen(line), ", %s", detail_.c_str());
  std::lock_guard<std::mutex> lock(g_mutex);
  if (tty_ && !final) {
    std::fprintf(stderr, "\r%s: %s\033[K", g_prefix.c_str(), line);
    g_status_line_open = true;
  } else {
    if (g_status_line_open) std::fputc('\r', stderr);
    std::fprintf(stderr, "%s: %s%s\n", g_prefix.c_str(), line, tty_ ? "\033[K" : "");
    g_status_line_open = false;
  }
  std::fflush(stderr);
}

}  // namespace vssoff
