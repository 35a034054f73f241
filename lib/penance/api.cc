#include "penance/api.h"

#include "nn/api.h"

namespace vssoff::penance {

const PenanceApi& penance_api() {
  static const PenanceApi& api = nn::plugin_table<PenanceApi>("vssoff_penance_api", kPenanceApiVersion, "Penance");
  return api;
}

}  // namespace vssoff::penance
