// Errors that carry context, and the exit codes main() maps them to.
//
// The library never calls exit(): it throws one of these, with a message that names
// what failed, which file and which value. tools/main.cc catches them once and prints
// "vssoff <subcommand>: error: <message>".
//
// Exit codes (documented in man/vssoff.1 and README.md):
//   0 success, 1 usage (bad options), 2 input or I/O (missing, corrupt or mismatched
//   files; refusing to overwrite; a failed write, such as a full disk), 3 runtime (a failure
//   inside a library or codec). An interrupting signal ends the process by that signal
//   (core/fs.h), which the shell reports as 128 + its number.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace vssoff {

enum class ExitCode : int { kOk = 0, kUsage = 1, kInput = 2, kRuntime = 3 };

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Bad option values or combinations.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& m) : Error(ExitCode::kUsage, m) {}
};

// Missing, unreadable, corrupt or mismatched input; output that would be overwritten.
class InputError : public Error {
 public:
  explicit InputError(const std::string& m) : Error(ExitCode::kInput, m) {}
};

// A failure inside a library (codec, allocation, model) that the input did not cause.
class RuntimeError : public Error {
 public:
  explicit RuntimeError(const std::string& m) : Error(ExitCode::kRuntime, m) {}
};

// cat(a, b, c): concatenates anything streamable into a string.
template <typename... Args>
std::string cat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

// check<UsageError>(cond, "msg", value...): throws E(cat(...)) when cond is false.
template <typename E, typename... Args>
void check(bool condition, Args&&... args) {
  if (!condition) throw E(cat(std::forward<Args>(args)...));
}

}  // namespace vssoff
