#include "accmpeg/api.h"

#include "nn/api.h"

namespace vssoff::accmpeg {

const AccmpegApi& accmpeg_api() {
  static const AccmpegApi& api = nn::plugin_table<AccmpegApi>("vssoff_accmpeg_api", kAccmpegApiVersion, "AccMPEG");
  return api;
}

}  // namespace vssoff::accmpeg
