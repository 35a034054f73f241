// The model plugin libvssoff_nn.so: the top of the stack. It links nn and every system's
// LibTorch part; each registers its own entry points (core/plugin.h). This file only sets
// what the whole plugin needs when it is loaded.
#include "core/plugin.h"

#include <malloc.h>

#include "vssoff_build_id.h"

namespace {

bool configure() {
  // LibTorch allocates and frees tensors of several MB per frame. With glibc's defaults each
  // one is a fresh mmap (or a heap top trimmed back with brk), and every page is faulted in
  // and zeroed again: measured 40% of `segment`'s time in the kernel. Keep such blocks in the
  // heap instead (bounded: the working set of one batch).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  return vssoff::plugin::register_build(VSSOFF_BUILD_ID);
}

[[maybe_unused]] const bool configured = configure();

}  // namespace
