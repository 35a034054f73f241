// Per-macroblock QP maps: which QP each 16x16 macroblock of each segment (or frame) gets.
//
// Payload: NPY of shape [N, mb_rows, mb_cols] (a 2-D [mb_rows, mb_cols] array means N = 1),
// mb_rows = ceil(H/16), mb_cols = ceil(W/16) of the *encoded* frame (after scaling).
// Integer dtypes, or floats holding whole numbers. N = 1: one map for the whole video;
// otherwise one map per segment (granularity "segment") or per frame ("frame").
//
// Manifest MAP.npy.json (format "vssoff.qpmap", version 1):
//   "params": {
//     "kind":           "absolute" (values are QPs in [1, 51]) | "offset" (added to base_qp),
//     "base_qp":        int, for offsets,
//     "granularity":    "segment" | "frame",
//     "segment_frames": frames per segment (0 = not stated),
//     "width", "height": the frame size the grid was made for (0 = not stated),
//     "mb_rows", "mb_cols"
//   },
//   "sidecars": {"qp": {"path": "MAP.npy", ...}}
// A bare NPY (no manifest beside it) is read with the kind, base and granularity the
// caller states (the encode-roi options). Readers check values and the grid, naming the
// file, the cell and the value on any error. QP 0 is refused in a map (InputError): one
// macroblock at QP 0 makes x264 encode the whole frame losslessly, ignoring every other QP
// (see x264_encoder.h). A uniform QP 0 (encode-roi --qp 0) is lossless on purpose.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/manifest.h"

namespace vssoff::codec {

enum class QpMapKind { kAbsolute, kOffset };
enum class QpMapGranularity { kSegment, kFrame };

inline constexpr int kQpMapVersion = 1;
inline constexpr int kQpMapMinQp = 1;  // lowest QP a map may ask for (0 turns x264 lossless)

struct QpMap {
  QpMapKind kind = QpMapKind::kAbsolute;  // as stored; qp below is always absolute
  int base_qp = 0;                        // for kOffset
  QpMapGranularity granularity = QpMapGranularity::kSegment;
  int segment_frames = 0;     // 0 = not stated
  int width = 0, height = 0;  // 0 = not stated
  int rows = 0, cols = 0, count = 0;
  std::vector<uint8_t> qp;  // absolute QPs, [count][rows][cols]
  std::string source;       // file it came from (for messages)

  // The map for a frame (by granularity and segment length). InputError past the end.
  const uint8_t* for_frame(int64_t frame_index, int segment_frames_in_use) const;
  int min_qp() const;
  int max_qp() const;
};

struct QpMapDefaults {  // used when the map is a bare NPY without a manifest
  QpMapKind kind = QpMapKind::kAbsolute;
  int base_qp = 30;
  QpMapGranularity granularity = QpMapGranularity::kSegment;
};

// Reads MAP.npy (with MAP.npy.json if present) or the manifest MAP.npy.json itself.
QpMap read_qp_map(const std::string& path, const QpMapDefaults& defaults);

// Writes MAP.npy (uint8 absolute QPs) and MAP.npy.json; `extra` adds fields to the manifest
// (what made the map; its "inputs" are appended).
void write_qp_map(const std::string& npy_path, const QpMap& map, bool force, const Json& extra = Json::object());

// Checks that the map fits an encode: grid, stated frame size, segment length, and (with
// more than one map) exactly the number of maps frame_count frames need (when known, else
// -1): too few or too many is an InputError naming both counts, and for too many the
// option meant (per-frame maps read per segment: --qp-map-per frame). prefix: the encode
// stops before the end of the maps on purpose (encode-roi --frames), so extra maps are fine.
void check_qp_map_fits(const QpMap& map, int width, int height, int segment_frames, int64_t frame_count,
                       bool prefix = false);

QpMapKind parse_qp_map_kind(const std::string& s);
QpMapGranularity parse_qp_map_granularity(const std::string& s);
const char* to_string(QpMapKind k);
const char* to_string(QpMapGranularity g);

}  // namespace vssoff::codec
