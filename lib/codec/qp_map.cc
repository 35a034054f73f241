#include "codec/qp_map.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/manifest.h"
#include "core/npy.h"

namespace vssoff::codec {

QpMapKind parse_qp_map_kind(const std::string& s) {
  if (s == "absolute") return QpMapKind::kAbsolute;
  if (s == "offset") return QpMapKind::kOffset;
  throw UsageError(cat("QP map kind must be absolute or offset (got \"", s, "\")"));
}

QpMapGranularity parse_qp_map_granularity(const std::string& s) {
  if (s == "segment") return QpMapGranularity::kSegment;
  if (s == "frame") return QpMapGranularity::kFrame;
  throw UsageError(cat("QP map granularity must be segment or frame (got \"", s, "\")"));
}

const char* to_string(QpMapKind k) { return k == QpMapKind::kAbsolute ? "absolute" : "offset"; }
const char* to_string(QpMapGranularity g) { return g == QpMapGranularity::kSegment ? "segment" : "frame"; }

const uint8_t* QpMap::for_frame(int64_t frame_index, int segment_frames_in_use) const {
  int64_t i = 0;
  if (count > 1) i = granularity == QpMapGranularity::kFrame ? frame_index : frame_index / segment_frames_in_use;
  check<InputError>(i < count, source, ": QP map has ", count, " ", to_string(granularity), " maps, frame ",
                    frame_index, " needs ", to_string(granularity), " ", i);
  return qp.data() + static_cast<size_t>(i) * rows * cols;
}

int QpMap::min_qp() const { return qp.empty() ? 0 : *std::min_element(qp.begin(), qp.end()); }
int QpMap::max_qp() const { return qp.empty() ? 0 : *std::max_element(qp.begin(), qp.end()); }

QpMap read_qp_map(const std::string& path, const QpMapDefaults& defaults) {
  QpMap map;
  map.kind = defaults.kind;
  map.base_qp = defaults.base_qp;
  map.granularity = defaults.granularity;
  std::string npy_path = path, manifest_path;
  bool is_manifest = path.size() > 5 && path.substr(path.size() - 5) == ".json";
  if (is_manifest)
    manifest_path = path;
  else if (std::filesystem::exists(manifest_path_for(path)))
    manifest_path = manifest_path_for(path);

  if (!manifest_path.empty())
    read_artefact(manifest_path, [&] {
      Json m = read_manifest(manifest_path, "qpmap", kQpMapVersion);
      const Json& p = m.at("params");
      map.kind = parse_qp_map_kind(json_get<std::string>(p, "kind", manifest_path));
      map.granularity = parse_qp_map_granularity(json_get<std::string>(p, "granularity", manifest_path));
      if (map.kind == QpMapKind::kOffset) map.base_qp = json_get<int>(p, "base_qp", manifest_path);
      map.segment_frames = json_get<int>(p, "segment_frames", manifest_path, 0);
      map.width = json_get<int>(p, "width", manifest_path, 0);
      map.height = json_get<int>(p, "height", manifest_path, 0);
      npy_path = sidecar_path(m, manifest_path, "qp");
    });
  map.source = npy_path;
  NpyArray a = read_npy(npy_path);
  check<InputError>(a.shape.size() == 2 || a.shape.size() == 3, npy_path, ": a QP map must have shape ",
                    "[N, mb_rows, mb_cols] or [mb_rows, mb_cols], got ", a.shape_string());
  check<InputError>(a.dtype != DType::kBool, npy_path, ": a QP map cannot be boolean");
  map.count = a.shape.size() == 3 ? static_cast<int>(a.shape[0]) : 1;
  map.rows = static_cast<int>(a.shape[a.shape.size() - 2]);
  map.cols = static_cast<int>(a.shape[a.shape.size() - 1]);
  check<InputError>(map.count > 0 && map.rows > 0 && map.cols > 0, npy_path, ": empty QP map ", a.shape_string());
  check<InputError>(map.kind == QpMapKind::kAbsolute || (map.base_qp >= 0 && map.base_qp <= 51), npy_path, ": base QP ",
                    map.base_qp, " out of [0, 51]");
  std::vector<double> values = a.to_double();
  map.qp.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    double v = values[i];
    size_t n = i / (static_cast<size_t>(map.rows) * map.cols), r = i / map.cols % map.rows, c = i % map.cols;
    check<InputError>(std::isfinite(v) && v == std::floor(v), npy_path, ": value ", v, " at [", n, ", ", r, ", ", c,
                      "] is not a whole number (QPs are integers)");
    double qp = map.kind == QpMapKind::kOffset ? map.base_qp + v : v;
    check<InputError>(qp >= 0 && qp <= 51, npy_path, ": ", to_string(map.kind), " value ", v, " at [", n, ", ", r, ", ",
                      c, "] gives QP ", qp, ", outside [", kQpMapMinQp, ", 51]");
    check<InputError>(qp >= kQpMapMinQp, npy_path, ": ", to_string(map.kind), " value ", v, " at [", n, ", ", r, ", ",
                      c, "] gives QP 0, which a map cannot ask for: x264 would switch the whole frame to lossless and ",
                      "ignore the map (use QPs in [", kQpMapMinQp, ", 51])");
    map.qp[i] = static_cast<uint8_t>(qp);
  }
  return map;
}

void write_qp_map(const std::string& npy_path, const QpMap& map, bool force, const Json& extra) {
  check<RuntimeError>(static_cast<int64_t>(map.qp.size()) == int64_t(map.count) * map.rows * map.cols,
                      "write_qp_map: inconsistent map size");
  std::string manifest_path = manifest_path_for(npy_path);
  // Check both outputs before writing either.
  check<InputError>(force || !std::filesystem::exists(manifest_path), "output exists: ", manifest_path,
                    " (use --force to overwrite)");
  write_npy(npy_path, NpyArray::from<uint8_t>({map.count, map.rows, map.cols}, map.qp), force);
  Json m = new_manifest("qpmap", kQpMapVersion);
  m["params"] = {{"kind", "absolute"},
                 {"granularity", to_string(map.granularity)},
                 {"segment_frames", map.segment_frames},
                 {"width", map.width},
                 {"height", map.height},
                 {"mb_rows", map.rows},
                 {"mb_cols", map.cols}};
  m["summary"] = {{"count", map.count}, {"min_qp", map.min_qp()}, {"max_qp", map.max_qp()}};
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    if (it.key() == "inputs")
      for (const Json& in : it.value()) m["inputs"].push_back(in);
    else
      m[it.key()] = it.value();
  }
  add_sidecar(m, "qp", manifest_path, npy_path);
  write_manifest(manifest_path, m, force);
}

void check_qp_map_fits(const QpMap& map, int width, int height, int segment_frames, int64_t frame_count, bool prefix) {
  int rows = (height + 15) / 16, cols = (width + 15) / 16;
  check<InputError>(map.rows == rows && map.cols == cols, map.source, ": QP map grid is ", map.rows, "x", map.cols,
                    " macroblocks (rows x cols), but the encoded frame is ", width, "x", height, " = ", rows, "x", cols,
                    " macroblocks");
  check<InputError>(map.width == 0 || (map.width == width && map.height == height), map.source,
                    ": QP map was made for ", map.width, "x", map.height, " frames, encoding ", width, "x", height);
  check<InputError>(map.segment_frames == 0 || map.granularity == QpMapGranularity::kFrame || map.count == 1 ||
                        map.segment_frames == segment_frames,
                    map.source, ": QP map was made for segments of ", map.segment_frames,
                    " frames, encoding with segments of ", segment_frames);
  if (frame_count > 0 && map.count > 1) {
    int64_t needed =
        map.granularity == QpMapGranularity::kFrame ? frame_count : (frame_count + segment_frames - 1) / segment_frames;
    check<InputError>(map.count >= needed, map.source, ": QP map has ", map.count, " ", to_string(map.granularity),
                      " maps, the video needs ", needed, " (", frame_count, " frames)");
    // Extra maps are never used: most often per-frame maps read as per-segment ones.
    std::string hint = map.granularity == QpMapGranularity::kSegment && map.count == frame_count
                           ? "; if they are per-frame maps, use --qp-map-per frame"
                           : "; to encode only the first frames, use --frames";
    check<InputError>(prefix || map.count <= needed, map.source, ": QP map has ", map.count, " ",
                      to_string(map.granularity), " maps, the video needs only ", needed, " (", frame_count, " frames",
                      map.granularity == QpMapGranularity::kSegment ? cat(" in segments of ", segment_frames) : "", ")",
                      hint);
  }
}

}  // namespace vssoff::codec
