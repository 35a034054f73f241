#include "codec/encode_roi.h"

#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/manifest.h"
#include "video/decoder.h"
#include "video/muxer.h"
#include "video/picture.h"
#include "video/reader.h"
#include "video/y4m_writer.h"

namespace vssoff::codec {
namespace {

double psnr_from_mse(double mse) { return mse <= 0 ? 100.0 : 10.0 * std::log10(255.0 * 255.0 / mse); }

// Pads a frame to even dimensions by repeating the last column / row (x264 needs even
// sizes in 4:2:0; the macroblock grid does not change).
void pad_to_even(const video::Frame& src, video::Frame* dst) {
  int w = src.width + (src.width & 1), h = src.height + (src.height & 1);
  dst->allocate(w, h, video::PixelFormat::kYuv420p);
  dst->index = src.index;
  dst->time_s = src.time_s;
  for (int p = 0; p < 3; ++p) {
    int sw = src.plane_width(p), sh = src.plane_height(p), dw = dst->plane_width(p), dh = dst->plane_height(p);
    for (int y = 0; y < dh; ++y) {
      const uint8_t* s = src.plane(p) + std::min(y, sh - 1) * src.stride(p);
      uint8_t* d = dst->plane(p) + y * dst->stride(p);
      std::copy(s, s + sw, d);
      for (int x = sw; x < dw; ++x) d[x] = s[sw - 1];
    }
  }
}

// Compares decoded frames with the frames that were encoded: luma PSNR per frame and per
// requested QP, and whether each macroblock carries the requested QP.
class Verifier {
 public:
  Verifier(int base_qp, video::Y4mWriter* recon) : base_qp_(base_qp), recon_(recon) {}

  void add_source(const video::Frame& f, const uint8_t* mb_qp, int rows, int cols) {
    Pending p{f, std::vector<uint8_t>(mb_qp ? mb_qp : nullptr, mb_qp ? mb_qp + rows * cols : nullptr)};
    if (!mb_qp) p.requested.assign(static_cast<size_t>(rows) * cols, static_cast<uint8_t>(base_qp_));
    pending_.push_back(std::move(p));
  }

  void feed(const video::EncodedPacket& pkt, const std::vector<uint8_t>& headers) {
    if (first_) {
      std::vector<uint8_t> data = headers;
      data.insert(data.end(), pkt.data.begin(), pkt.data.end());
      decoder_.send(data.data(), data.size(), pkt.pts);
      first_ = false;
    } else {
      decoder_.send(pkt.data.data(), pkt.data.size(), pkt.pts);
    }
    drain();
  }

  void finish() {
    decoder_.send_end();
    drain();
    check<RuntimeError>(pending_.empty(), "verification: ", pending_.size(), " encoded frames were not decoded back");
  }

  void fill(EncodeRoiResult* r) const {
    r->frame_psnr_y = frame_psnr_;
    r->psnr_y = psnr_from_mse(total_pixels_ ? total_sse_ / total_pixels_ : 0);
    for (const auto& [qp, acc] : by_qp_) r->psnr_y_by_qp.emplace_back(qp, psnr_from_mse(acc.first / acc.second));
    r->qp_check = qp_check_;
  }

 private:
  struct Pending {
    video::Frame frame;
    std::vector<uint8_t> requested;
  };

  void drain() {
    while (decoder_.receive(&decoded_)) {
      check<RuntimeError>(!pending_.empty(), "verification: decoder returned an unexpected frame");
      Pending& src = pending_.front();
      check<RuntimeError>(decoded_.index == src.frame.index, "verification: decoded frame ", decoded_.index,
                          " but expected ", src.frame.index);
      compare(src);
      if (recon_) recon_->write(decoded_);
      pending_.pop_front();
    }
  }

  void compare(const Pending& src) {
    const video::Frame& a = src.frame;
    int cols = video::mb_cols_for(a.width), rows = video::mb_rows_for(a.height);
    double frame_sse = 0;
    for (int my = 0; my < rows; ++my) {
      for (int mx = 0; mx < cols; ++mx) {
        double sse = 0;
        int n = 0;
        for (int y = my * 16; y < std::min(a.height, my * 16 + 16); ++y) {
          const uint8_t* pa = a.plane(0) + y * a.stride(0);
          const uint8_t* pb = decoded_.plane(0) + y * decoded_.stride(0);
          for (int x = mx * 16; x < std::min(a.width, mx * 16 + 16); ++x) {
            double d = double(pa[x]) - pb[x];
            sse += d * d;
            ++n;
          }
        }
        int want = src.requested[my * cols + mx];
        auto& acc = by_qp_[want];
        acc.first += sse;
        acc.second += n;
        frame_sse += sse;
      }
    }
    if (!decoded_.mb_qp.empty())
      classify_decoded_qps(src.requested.data(), decoded_.mb_qp.data(), rows * cols, base_qp_, &qp_check_);
    double pixels = double(a.width) * a.height;
    frame_psnr_.push_back(psnr_from_mse(frame_sse / pixels));
    total_sse_ += frame_sse;
    total_pixels_ += pixels;
  }

  int base_qp_;
  video::Y4mWriter* recon_;
  video::H264Decoder decoder_{true};
  video::Frame decoded_;
  std::deque<Pending> pending_;
  bool first_ = true;
  std::map<int, std::pair<double, double>> by_qp_;  // qp -> (sse, pixels)
  std::vector<double> frame_psnr_;
  double total_sse_ = 0, total_pixels_ = 0;
  QpCheck qp_check_;
};

}  // namespace

void classify_decoded_qps(const uint8_t* requested, const uint8_t* decoded, int count, int slice_qp, QpCheck* out) {
  // The QP the decoder carries into the next macroblock, while it is a right one; -1 after
  // a wrong macroblock, until the next exact one.
  int carried = slice_qp;
  for (int i = 0; i < count; ++i) {
    int got = decoded[i], want = requested[i];
    if (got == want) {
      ++out->exact;
      carried = want;
    } else if (got == carried) {
      ++out->inherited;
    } else {
      ++out->mismatched;
      carried = -1;
    }
  }
}

void EncodeRoiOptions::check() const {
  vssoff::check<UsageError>(!input.empty(), "no input video given");
  vssoff::check<UsageError>(!output.empty(), "no output given (-o)");
  vssoff::check<UsageError>(qp == kNoQp || (qp >= 0 && qp <= 51), "qp must be in [0, 51] (got ", qp, ")");
  vssoff::check<UsageError>(qp_map.empty() != (qp == kNoQp),
                            "give exactly one of a uniform QP (--qp) or a QP map (--qp-map)");
  vssoff::check<UsageError>(segment_frames >= 1, "segment length must be >= 1 frame (got ", segment_frames, ")");
  vssoff::check<UsageError>(scale > 0 && scale <= 1, "scale must be in (0, 1] (got ", scale, ")");
  vssoff::check<UsageError>(max_frames == -1 || max_frames > 0, "max frames must be > 0 (got ", max_frames, ")");
  vssoff::check<UsageError>(heatmap_frame >= 0, "heatmap frame must be >= 0 (got ", heatmap_frame, ")");
  vssoff::check<UsageError>(recon.empty() || (recon.size() > 4 && recon.substr(recon.size() - 4) == ".y4m"),
                            "the reconstruction is written as .y4m (got ", recon, ")");
}

EncodeRoiResult encode_roi(const EncodeRoiOptions& opt) {
  opt.check();
  auto t0 = std::chrono::steady_clock::now();
  // Check every output before any work, so a refusal costs nothing and touches nothing.
  check_output_path(opt.output, opt.force);
  check_output_path(manifest_path_for(opt.output), opt.force);
  video::H264Muxer::container_for(opt.output);
  if (!opt.recon.empty()) check_output_path(opt.recon, opt.force);
  if (!opt.heatmap.empty()) check_output_path(opt.heatmap, opt.force);
  hash_input_in_background(opt.input);  // for the manifest, beside the encode

  std::optional<QpMap> map;
  if (!opt.qp_map.empty()) {
    check_input_file(opt.qp_map, "QP map");
    map = read_qp_map(opt.qp_map, opt.map_defaults);
  }

  video::ReaderOptions ro;
  ro.threads = opt.decode_threads;
  ro.strict_frame_count = opt.strict_length;
  auto reader = std::make_unique<video::VideoReader>(opt.input, ro);
  const video::VideoInfo info = reader->info();
  int width = info.width, height = info.height;
  if (opt.scale != 1.0) {  // reopen with swscale resizing every frame
    width = std::max(2, static_cast<int>(std::lround(info.width * opt.scale)));
    height = std::max(2, static_cast<int>(std::lround(info.height * opt.scale)));
    ro.width = width;
    ro.height = height;
    reader = std::make_unique<video::VideoReader>(opt.input, ro);
  }
  video::Rational fps = info.fps.valid() ? info.fps : video::Rational{25, 1};
  if (!info.fps.valid()) log_warn(opt.input, ": frame rate unknown, assuming 25 fps");
  int64_t expected = info.frame_count;
  if (opt.max_frames > 0 && (expected < 0 || expected > opt.max_frames)) expected = opt.max_frames;
  int enc_w = width + (width & 1), enc_h = height + (height & 1);
  if (enc_w != width || enc_h != height)
    log_info("padding ", width, "x", height, " to ", enc_w, "x", enc_h, " (4:2:0 needs even sizes)");
  // With --frames short of the video, the maps may cover more than the encode. A header may
  // claim more frames than decode: unless strict, the map's count is checked frame by frame
  // (QpMap::for_frame) and again after the last frame read, against what decoded.
  const bool prefix = opt.max_frames > 0 && (info.frame_count < 0 || info.frame_count > opt.max_frames);
  if (map) check_qp_map_fits(*map, width, height, opt.segment_frames, opt.strict_length ? expected : -1, prefix);

  EncoderOptions eo = opt.encoder;
  eo.gop_frames = opt.segment_frames;
  eo.per_macroblock_qp = map.has_value();
  eo.base_qp = map ? map->min_qp() : opt.qp;
  eo.repeat_headers = video::H264Muxer::container_for(opt.output) == "h264";
  H264Encoder encoder(enc_w, enc_h, fps, eo);
  std::vector<uint8_t> headers = encoder.headers();

  video::H264Muxer muxer(opt.output, enc_w, enc_h, fps, headers, opt.force);
  std::unique_ptr<video::Y4mWriter> recon;
  if (!opt.recon.empty()) recon = std::make_unique<video::Y4mWriter>(opt.recon, enc_w, enc_h, fps, opt.force);
  std::unique_ptr<Verifier> verifier;
  if (opt.verify || recon) verifier = std::make_unique<Verifier>(eo.base_qp, recon.get());

  EncodeRoiResult r;
  r.width = enc_w;
  r.height = enc_h;
  std::vector<video::EncodedPacket> packets;
  video::Frame frame, padded, heatmap_bg;
  bool have_heatmap_bg = false;
  auto sink = [&](std::vector<video::EncodedPacket>& pkts) {
    for (auto& p : pkts) {
      muxer.write(p);
      if (static_cast<int64_t>(r.frame_bytes.size()) <= p.pts) r.frame_bytes.resize(p.pts + 1, 0);
      r.frame_bytes[p.pts] += static_cast<int64_t>(p.data.size());
      if (verifier) verifier->feed(p, headers);
    }
    pkts.clear();
  };

  Progress progress("encoded", expected);
  double first_time_s = 0;
  while ((opt.max_frames < 0 || r.frames < opt.max_frames) && reader->read(&frame)) {
    // The output is constant frame rate (timestamps are frame numbers at fps): a frame more
    // than half an interval off that grid means variable-frame-rate input, whose timing the
    // encode would silently change. Nothing is committed yet when this throws.
    if (r.frames == 0) first_time_s = frame.time_s;
    double cfr_time_s = first_time_s + r.frames / fps.value();
    check<InputError>(std::abs(frame.time_s - cfr_time_s) <= 0.5 / fps.value(), opt.input,
                      ": variable frame rate: frame ", r.frames, " is at ", frame.time_s - first_time_s,
                      " s, at a constant ", fps.value(), " fps it would be at ", cfr_time_s - first_time_s,
                      " s; encode-roi writes constant frame rate and would change the timing (convert first, e.g. "
                      "ffmpeg -i IN -vf fps=",
                      fps.num, "/", fps.den, " OUT)");
    frame.index = r.frames;  // encoder timestamps are consecutive frame numbers
    video::Frame* in = &frame;
    if (enc_w != frame.width || enc_h != frame.height) {
      pad_to_even(frame, &padded);
      in = &padded;
    }
    const uint8_t* mb_qp = map ? map->for_frame(r.frames, opt.segment_frames) : nullptr;
    if (verifier) verifier->add_source(*in, mb_qp, encoder.mb_rows(), encoder.mb_cols());
    if (!opt.heatmap.empty() && r.frames == opt.heatmap_frame) {
      heatmap_bg = *in;
      have_heatmap_bg = true;
    }
    encoder.encode(*in, mb_qp, &packets);
    sink(packets);
    ++r.frames;
    progress.update(r.frames);
  }
  encoder.flush(&packets);
  sink(packets);
  progress.finish();
  check<InputError>(r.frames > 0, opt.input, ": no frames to encode");
  // Again with the frames really read (the header may not say); nothing is committed yet.
  if (map) check_qp_map_fits(*map, width, height, opt.segment_frames, r.frames, prefix);
  if (verifier) verifier->finish();

  for (int64_t i = 0; i < r.frames; ++i) {
    size_t seg = static_cast<size_t>(i / opt.segment_frames);
    if (r.segment_bytes.size() <= seg) r.segment_bytes.resize(seg + 1, 0);
    r.segment_bytes[seg] += r.frame_bytes[i];
    r.total_bytes += r.frame_bytes[i];
  }
  if (verifier) verifier->fill(&r);

  if (!opt.heatmap.empty()) {
    check<InputError>(have_heatmap_bg, "heatmap frame ", opt.heatmap_frame, " is past the end (", r.frames,
                      " frames encoded)");
    const uint8_t* mb = map ? map->for_frame(opt.heatmap_frame, opt.segment_frames) : nullptr;
    std::vector<double> grid(static_cast<size_t>(encoder.mb_rows()) * encoder.mb_cols(), eo.base_qp);
    if (mb) std::copy(mb, mb + grid.size(), grid.begin());
    video::HeatmapStyle style;
    style.title = "QP";
    video::write_grid_heatmap(opt.heatmap, heatmap_bg, grid, encoder.mb_rows(), encoder.mb_cols(), style, opt.force);
  }

  muxer.finish();
  if (recon) recon->finish();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  Json m = new_manifest("encode", kEncodeManifestVersion);
  m["params"] = {{"qp_source", map ? "map" : "uniform"},
                 {"uniform_qp", map ? Json(nullptr) : Json(opt.qp)},
                 {"segment_frames", opt.segment_frames},
                 {"scale", opt.scale},
                 {"source_width", info.width},
                 {"source_height", info.height},
                 {"width", enc_w},
                 {"height", enc_h},
                 {"mb_rows", encoder.mb_rows()},
                 {"mb_cols", encoder.mb_cols()},
                 {"fps_num", fps.num},
                 {"fps_den", fps.den},
                 {"max_frames", opt.max_frames},
                 {"x264", encoder.effective_params()}};
  if (map) {
    m["params"]["qp_map"] = {{"kind", to_string(map->kind)},
                             {"granularity", to_string(map->granularity)},
                             {"count", map->count},
                             {"min_qp", map->min_qp()},
                             {"max_qp", map->max_qp()}};
  }
  add_input(m, "video", opt.input);
  if (map) add_input(m, "qp_map", map->source);
  m["frames"] = r.frames;
  m["segments"] = r.segment_bytes.size();
  m["total_bytes"] = r.total_bytes;
  m["file_bytes"] = file_size(opt.output);
  m["bitrate_kbps"] = r.total_bytes * 8.0 / 1000.0 / (r.frames / fps.value());
  m["frame_bytes"] = r.frame_bytes;
  m["segment_bytes"] = r.segment_bytes;
  m["seconds"] = r.seconds;
  add_sidecar(m, "video", manifest_path_for(opt.output), opt.output);
  if (verifier) {
    Json by_qp = Json::object();
    for (const auto& [qp, psnr] : r.psnr_y_by_qp) by_qp[std::to_string(qp)] = psnr;
    m["verify"] = {
        {"psnr_y", r.psnr_y},
        {"psnr_y_by_qp", by_qp},
        {"frame_psnr_y", r.frame_psnr_y},
        {"qp_check",
         {{"exact", r.qp_check.exact}, {"inherited", r.qp_check.inherited}, {"mismatched", r.qp_check.mismatched}}}};
    if (recon) add_sidecar(m, "recon", manifest_path_for(opt.output), opt.recon);
  }
  if (!opt.heatmap.empty()) add_sidecar(m, "heatmap", manifest_path_for(opt.output), opt.heatmap);
  write_manifest(manifest_path_for(opt.output), m, opt.force);
  r.manifest = m;
  return r;
}

}  // namespace vssoff::codec
