#include "penance/api.h"

#include "core/error.h"
#include "nn/api.h"

namespace vssoff::penance {

const PenanceApi& penance_api() {
  static const PenanceApi* api = [] {
    auto entry = reinterpret_cast<const PenanceApi* (*)()>(nn::plugin_symbol("vssoff_penance_api"));
    const PenanceApi* a = entry();
    check<RuntimeError>(a->version == kPenanceApiVersion, "the model plugin's Penance API is version ", a->version,
                        ", this vssoff needs ", kPenanceApiVersion, " (rebuild both)");
    return a;
  }();
  return *api;
}

}  // namespace vssoff::penance
