// Entry point of libvssoff_nn.so (see nn/api.h).
#include "nn/api.h"

extern "C" __attribute__((visibility("default"))) const vssoff::nn::NnApi* vssoff_nn_api() {
  static const vssoff::nn::NnApi api = {vssoff::nn::kNnApiVersion, &vssoff::nn::segment_video,
                                                &vssoff::nn::train_model};
  return &api;
}
