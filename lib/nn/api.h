// The model-running steps, reached through a plugin.
//
// Everything that links LibTorch lives in libvssoff_nn.so, loaded with dlopen on first use:
// loading libtorch costs about 0.65 s per process here, which every other subcommand
// (info, encode-roi, ...) should not pay. The plugin shares the executable's vssoff code
// and state (logging, manifests, I/O): the executable exports its symbols.
//
// Where the plugin is looked for, in order: $VSSOFF_NN_PLUGIN; the executable's directory;
// ../lib and ../lib/vssoff relative to it. RuntimeError naming every place tried if absent.
#pragma once

#include "core/error.h"
#include "nn/segment_video.h"
#include "nn/train.h"

namespace vssoff::nn {

inline constexpr int kNnApiVersion = 1;

struct NnApi {
  int version;
  SegmentResult (*segment_video)(const SegmentOptions&);
  TrainResult (*train_model)(const TrainOptions&);
};

const NnApi& nn_api();

// A symbol of the loaded plugin (loading it if needed): the entry points of the systems
// domains that run models (e.g. accmpeg/api.h). RuntimeError if absent.
void* plugin_symbol(const char* name);

// The table of entry points that the plugin's function `symbol` returns, checked against
// the version this executable was built with (`what` names the table in the error).
template <typename Api>
const Api& plugin_table(const char* symbol, int version, const char* what) {
  const Api* api = reinterpret_cast<const Api* (*)()>(plugin_symbol(symbol))();
  check<RuntimeError>(api->version == version, "the model plugin's ", what, " API is version ", api->version,
                      ", this vssoff needs ", version, " (rebuild both)");
  return *api;
}

}  // namespace vssoff::nn

// Exported by the plugin.
extern "C" const vssoff::nn::NnApi* vssoff_nn_api();
