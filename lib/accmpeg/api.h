// The AccMPEG steps that run LibTorch, reached through the model plugin (see nn/api.h).
#pragma once

#include "accmpeg/accgrad.h"
#include "accmpeg/cheap_model.h"

namespace vssoff::accmpeg {

inline constexpr int kAccmpegApiVersion = 1;

struct AccmpegApi {
  int version;
  AccGradResult (*accgrad)(const AccGradOptions&);
  TrainCheapResult (*train_cheap_model)(const TrainCheapOptions&);
  ImportanceResult (*predict_importance)(const ImportanceOptions&);
};

// Loads the plugin on first use; RuntimeError if it is missing or of another version.
const AccmpegApi& accmpeg_api();

}  // namespace vssoff::accmpeg

extern "C" const vssoff::accmpeg::AccmpegApi* vssoff_accmpeg_api();
