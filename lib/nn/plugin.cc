// Entry point of libvssoff_nn.so (see nn/api.h).
#include <malloc.h>

#include "accmpeg/api.h"
#include "nn/api.h"
#include "penance/api.h"

extern "C" __attribute__((visibility("default"))) const vssoff::nn::NnApi* vssoff_nn_api() {
  // LibTorch allocates and frees tensors of several MB per frame. With glibc's defaults each
  // one is a fresh mmap (or a heap top trimmed back with brk), and every page is faulted in
  // and zeroed again: measured 40% of `segment`'s time in the kernel. Keep such blocks in the
  // heap instead (bounded: the working set of one batch).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  static const vssoff::nn::NnApi api = {vssoff::nn::kNnApiVersion, &vssoff::nn::segment_video,
                                        &vssoff::nn::train_model};
  return &api;
}

extern "C" __attribute__((visibility("default"))) const vssoff::accmpeg::AccmpegApi* vssoff_accmpeg_api() {
  static const vssoff::accmpeg::AccmpegApi api = {vssoff::accmpeg::kAccmpegApiVersion, &vssoff::accmpeg::accgrad,
                                                  &vssoff::accmpeg::train_cheap_model,
                                                  &vssoff::accmpeg::predict_importance};
  return &api;
}

extern "C" __attribute__((visibility("default"))) const vssoff::penance::PenanceApi* vssoff_penance_api() {
  static const vssoff::penance::PenanceApi api = {
      vssoff::penance::kPenanceApiVersion, &vssoff::penance::profile, &vssoff::penance::bitrate_cnn_inputs,
      &vssoff::penance::train_bitrate_cnn, &vssoff::penance::predict_bitrate_cnn};
  return &api;
}
