#include "core/version.h"

namespace vssoff {
const char* vssoff_version() { return VSSOFF_VERSION; }
}  // namespace vssoff
