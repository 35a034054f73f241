// What is in a video: container and stream facts, and optionally a full decode with
// per-frame picture types, compressed sizes and per-macroblock QPs (as the bitstream
// carries them). Backs `vssoff info` and the decode benchmark (B2).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/manifest.h"
#include "video/reader.h"

namespace vssoff::video {

struct InspectOptions {
  bool decode = false;       // decode every frame
  bool export_qp = false;    // collect per-macroblock QPs (implies decode)
  bool frame_stats = false;  // keep one row per frame (implies decode)
  int threads = 0;           // decoder threads, 0 = the thread budget
};

struct FrameStat {
  int64_t index;
  double time_s;
  char type;
  int64_t packet_bytes;
  double mean_qp;  // NaN without export_qp
};

struct InspectResult {
  VideoInfo info;
  int64_t decoded_frames = -1;  // -1 without decode
  double decode_seconds = 0;
  int decode_errors = 0;
  std::map<char, int64_t> frame_types;
  std::vector<FrameStat> frames;  // with frame_stats
  std::vector<uint8_t> qp;        // [decoded_frames][mb_rows][mb_cols], with export_qp; 0 where the codec exports none
  int mb_rows = 0, mb_cols = 0;
  Json to_json() const;
};

InspectResult inspect_video(const std::string& path, const InspectOptions& options);

}  // namespace vssoff::video
