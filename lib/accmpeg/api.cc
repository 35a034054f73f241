#include "accmpeg/api.h"

#include "core/error.h"
#include "nn/api.h"

namespace vssoff::accmpeg {

const AccmpegApi& accmpeg_api() {
  static const AccmpegApi* api = [] {
    auto entry = reinterpret_cast<const AccmpegApi* (*)()>(nn::plugin_symbol("vssoff_accmpeg_api"));
    const AccmpegApi* a = entry();
    check<RuntimeError>(a->version == kAccmpegApiVersion, "the model plugin's AccMPEG API is version ", a->version,
                        ", this vssoff needs ", kAccmpegApiVersion, " (rebuild both)");
    return a;
  }();
  return *api;
}

}  // namespace vssoff::accmpeg
