// The Penance steps that run LibTorch, reached through the model plugin (see nn/api.h).
#pragma once

#include "penance/profile.h"

namespace vssoff::penance {

inline constexpr int kPenanceApiVersion = 1;

struct PenanceApi {
  int version;
  ProfileResult (*profile)(const ProfileOptions&);
};

const PenanceApi& penance_api();

}  // namespace vssoff::penance

extern "C" const vssoff::penance::PenanceApi* vssoff_penance_api();
