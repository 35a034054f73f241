// vssoff's own version and the git commit it was built from.
#pragma once

namespace vssoff {
const char* vssoff_version();  // "0.1.0"
const char* git_commit();      // short hash, "-dirty" suffix, or "unknown"
}  // namespace vssoff
