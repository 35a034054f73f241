// Logging and progress, always on stderr (data goes to files).
//
// Levels: -q shows warnings and errors only, the default adds info lines, -v adds debug.
// Progress: a status line rewritten in place (at most 10 times a second) with count,
// rate and ETA when stderr is a terminal; otherwise a plain line every few seconds
// (VSSOFF_PROGRESS_SECONDS, default 5) so that logs of batch jobs stay readable.
// Thread-safe: lines from several threads do not interleave.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "core/error.h"

namespace vssoff {

enum class LogLevel : int { kQuiet = 0, kInfo = 1, kDebug = 2 };

void set_log_level(LogLevel level);
LogLevel log_level();

// Prefix for every line, e.g. "vssoff encode-roi". Set once by main.
void set_log_prefix(const std::string& prefix);

void log_line(LogLevel min_level, const std::string& tag, const std::string& message);

template <typename... Args>
void log_info(Args&&... args) {
  log_line(LogLevel::kInfo, "", cat(std::forward<Args>(args)...));
}
template <typename... Args>
void log_debug(Args&&... args) {
  log_line(LogLevel::kDebug, "debug: ", cat(std::forward<Args>(args)...));
}
template <typename... Args>
void log_warn(Args&&... args) {
  log_line(LogLevel::kQuiet, "warning: ", cat(std::forward<Args>(args)...));
}

// Progress of one long loop. total < 0 means unknown (no ETA, no percentage).
class Progress {
 public:
  // label is a past-tense verb: "encoded 120/300 frames (40%), 95.1 frames/s, ETA 0:02".
  Progress(std::string label, int64_t total, std::string unit = "frames");
  ~Progress();  // calls finish() if not done yet
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(int64_t done);                                            // absolute count; cheap when nothing is printed
  void set_detail(std::string detail) { detail_ = std::move(detail); }  // appended, e.g. "loss 0.41"
  void finish();                                                        // prints the final count, rate and elapsed time

 private:
  void print(bool final);
  std::string label_, unit_, detail_;
  int64_t total_, done_ = 0;
  bool finished_ = false, tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
  double interval_s_;
};

}  // namespace vssoff
