#include "core/error.h"

namespace vssoff {

const char* exit_code_name(ExitCode code) {
  switch (code) {
    case ExitCode::kOk: return "ok";
    case ExitCode::kUsage: return "usage";
    case ExitCode::kInput: return "input or I/O";
    case ExitCode::kRuntime: return "runtime";
  }
  return "unknown";
}

}  // namespace vssoff
