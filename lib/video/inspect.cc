#include "video/inspect.h"

#include <chrono>
#include <cmath>

#include "core/log.h"

namespace vssoff::video {

InspectResult inspect_video(const std::string& path, const InspectOptions& o) {
  ReaderOptions ro;
  ro.threads = o.threads;
  ro.export_qp = o.export_qp;
  ro.strict_frame_count = false;  // report the mismatch instead of failing
  VideoReader reader(path, ro);
  InspectResult r;
  r.info = reader.info();
  if (!(o.decode || o.export_qp || o.frame_stats)) return r;
  r.mb_rows = mb_rows_for(r.info.height);
  r.mb_cols = mb_cols_for(r.info.width);
  auto t0 = std::chrono::steady_clock::now();
  Frame f;
  int64_t frames_without_qp = 0;
  r.decoded_frames = 0;
  Progress progress("decoded", r.info.frame_count);
  while (reader.read(&f)) {
    ++r.decoded_frames;
    ++r.frame_types[f.pict_type];
    double mean_qp = NAN;
    if (o.export_qp) {
      if (f.mb_qp.empty()) {
        ++frames_without_qp;
        r.qp.insert(r.qp.end(), static_cast<size_t>(r.mb_rows) * r.mb_cols, 0);
      } else {
        r.qp.insert(r.qp.end(), f.mb_qp.begin(), f.mb_qp.end());
        double sum = 0;
        for (uint8_t q : f.mb_qp) sum += q;
        mean_qp = sum / f.mb_qp.size();
      }
    }
    if (o.frame_stats) r.frames.push_back({f.index, f.time_s, f.pict_type, f.packet_bytes, mean_qp});
    progress.update(r.decoded_frames);
  }
  progress.finish();
  r.decode_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.decode_errors = reader.decode_errors();
  if (frames_without_qp > 0)
    log_warn(path, ": ", frames_without_qp, " of ", r.decoded_frames, " frames carry no per-macroblock QPs (the ",
             r.info.codec, " decoder does not export them); their rows in the QP array are 0");
  if (r.info.frame_count >= 0 && r.info.frame_count != r.decoded_frames)
    log_warn(path, ": header declares ", r.info.frame_count, " frames, decoded ", r.decoded_frames);
  return r;
}

Json InspectResult::to_json() const {
  Json j = {{"path", info.path},
            {"container", info.container},
            {"codec", info.codec},
            {"pixel_format", info.pixel_format},
            {"width", info.width},
            {"height", info.height},
            {"fps", info.fps.value()},
            {"fps_num", info.fps.num},
            {"fps_den", info.fps.den},
            {"frame_count", info.frame_count >= 0 ? Json(info.frame_count) : Json(nullptr)},
            {"duration_s", info.duration_s >= 0 ? Json(info.duration_s) : Json(nullptr)},
            {"bit_rate", info.bit_rate},
            {"mb_rows", mb_rows_for(info.height)},
            {"mb_cols", mb_cols_for(info.width)}};
  if (decoded_frames >= 0) {
    Json types = Json::object();
    for (const auto& [t, n] : frame_types) types[std::string(1, t)] = n;
    j["decoded_frames"] = decoded_frames;
    j["decode_seconds"] = decode_seconds;
    j["decode_fps"] = decode_seconds > 0 ? decoded_frames / decode_seconds : 0.0;
    j["decode_errors"] = decode_errors;
    j["frame_types"] = types;
  }
  return j;
}

}  // namespace vssoff::video
