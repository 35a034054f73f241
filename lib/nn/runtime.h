// LibTorch facts shared by everything that runs a model.
// The version comes from LibTorch's headers, so asking for it does not load libtorch
// (loading it costs about 0.7 s of process start-up on this machine).
#pragma once

#include <string>

namespace vssoff::nn {

std::string torch_version();  // e.g. "1.13.0", as the installed headers state

}  // namespace vssoff::nn
