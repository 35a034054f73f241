// The Penance steps that run LibTorch, reached through the model plugin (see nn/api.h).
#pragma once

#include "penance/bitrate_cnn.h"
#include "penance/profile.h"

namespace vssoff::penance {

inline constexpr int kPenanceApiVersion = 1;

struct PenanceApi {
  int version;
  ProfileResult (*profile)(const ProfileOptions&);
  BitrateSamples (*bitrate_cnn_inputs)(const std::string&, int, int64_t, const std::vector<double>&,
                                       const std::vector<double>&, const std::vector<double>&,
                                       const std::vector<double>&);
  BitrateCnnResult (*train_bitrate_cnn)(const BitrateSamples&, const BitrateSamples&, int, const std::string&, uint64_t,
                                        int);
  std::vector<double> (*predict_bitrate_cnn)(const std::string&, const BitrateSamples&, int, int);
};

const PenanceApi& penance_api();

}  // namespace vssoff::penance

extern "C" const vssoff::penance::PenanceApi* vssoff_penance_api();
