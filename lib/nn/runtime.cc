#include "nn/runtime.h"

#include <torch/version.h>

namespace vssoff::nn {

std::string torch_version() { return TORCH_VERSION; }

}  // namespace vssoff::nn
