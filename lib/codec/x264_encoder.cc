#include "codec/x264_encoder.h"

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" {
#include <x264.h>
}

#include "core/error.h"
#include "core/log.h"
#include "core/threads.h"

namespace vssoff::codec {
namespace {
void x264_log_callback(void*, int level, const char* fmt, va_list args) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, args);
  size_t n = std::strlen(buf);
  while (n && buf[n - 1] == '\n') buf[--n] = '\0';
  if (level <= X264_LOG_WARNING)
    log_warn("x264: ", buf);
  else
    log_debug("x264: ", buf);
}

bool in_list(const std::string& name, const char* const* list) {
  for (; *list; ++list)
    if (name == *list) return true;
  return false;
}
}  // namespace

void EncoderOptions::check() const {
  if (!in_list(preset, x264_preset_names))
    throw UsageError(cat("unknown x264 preset \"", preset,
                         "\" (ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow, placebo)"));
  if (!tune.empty() && !in_list(tune, x264_tune_names))
    throw UsageError(cat("unknown x264 tune \"", tune,
                         "\" (film, animation, grain, stillimage, psnr, ssim, fastdecode, zerolatency)"));
  vssoff::check<UsageError>(threads >= 0 && threads <= 128, "threads must be in [0, 128] (got ", threads, ")");
  vssoff::check<UsageError>(gop_frames >= 1, "segment length (gop_frames) must be >= 1 (got ", gop_frames, ")");
  vssoff::check<UsageError>(bframes >= 0 && bframes <= 16, "bframes must be in [0, 16] (got ", bframes, ")");
  vssoff::check<UsageError>(base_qp >= 0 && base_qp <= 51, "QP must be in [0, 51] (got ", base_qp, ")");
  vssoff::check<UsageError>(!per_macroblock_qp || base_qp >= 1, "per-macroblock QPs must be in [1, 51] (got base QP ",
                            base_qp, "): at QP 0 x264 switches the whole frame to lossless and ignores the map");
}

struct H264Encoder::Impl {
  x264_t* enc = nullptr;
  x264_param_t param;
  EncoderOptions opt;
  int width, height;
  ~Impl() {
    if (enc) x264_encoder_close(enc);
  }

  void collect(int frame_size, const x264_nal_t* nals, const x264_picture_t& pic_out,
               std::vector<video::EncodedPacket>* out) {
    if (frame_size <= 0) return;
    video::EncodedPacket p;
    // x264 guarantees the payloads of one frame are contiguous.
    p.data.assign(nals[0].p_payload, nals[0].p_payload + frame_size);
    p.pts = pic_out.i_pts;
    p.dts = pic_out.i_dts;
    p.keyframe = pic_out.b_keyframe;
    p.type = IS_X264_TYPE_I(pic_out.i_type) ? 'I' : IS_X264_TYPE_B(pic_out.i_type) ? 'B' : 'P';
    out->push_back(std::move(p));
  }
};

H264Encoder::H264Encoder(int width, int height, video::Rational fps, const EncoderOptions& o)
    : impl_(std::make_unique<Impl>()), mb_cols_(video::mb_cols_for(width)), mb_rows_(video::mb_rows_for(height)) {
  o.check();
  check<UsageError>(width > 0 && height > 0 && width % 2 == 0 && height % 2 == 0,
                    "x264 needs an even frame size for 4:2:0 (got ", width, "x", height, ")");
  check<UsageError>(fps.valid(), "invalid frame rate ", fps.num, "/", fps.den);
  impl_->opt = o;
  impl_->width = width;
  impl_->height = height;
  x264_param_t& p = impl_->param;
  if (x264_param_default_preset(&p, o.preset.c_str(), o.tune.empty() ? nullptr : o.tune.c_str()) < 0)
    throw UsageError(cat("x264 rejected preset \"", o.preset, "\" / tune \"", o.tune, "\""));
  p.pf_log = x264_log_callback;
  p.i_log_level = log_level() >= LogLevel::kDebug ? X264_LOG_INFO : X264_LOG_WARNING;
  p.i_width = width;
  p.i_height = height;
  p.i_csp = X264_CSP_I420;
  p.i_fps_num = fps.num;
  p.i_fps_den = fps.den;
  p.i_timebase_num = fps.den;
  p.i_timebase_den = fps.num;
  p.b_vfr_input = 0;
  // x264's automatic choice follows the affinity mask, which is the thread budget unless
  // VSSOFF_THREADS sets it; then x264's rule is applied to that budget: 1.5 threads a core
  // (2 with sliced threads), at most one thread per two macroblock rows.
  if (o.threads > 0)
    p.i_threads = o.threads;
  else if (thread_budget_from_environment())
    p.i_threads = std::min(thread_budget() * (p.b_sliced_threads ? 2 : 3) / 2, std::max(1, (height + 15) / 16 / 2));
  else
    p.i_threads = X264_THREADS_AUTO;
  p.b_deterministic = 1;
  p.i_keyint_max = o.gop_frames;
  p.i_keyint_min = o.gop_frames;
  p.i_scenecut_threshold = 0;
  p.b_open_gop = 0;
  p.i_bframe = o.bframes;
  p.b_annexb = 1;
  p.b_repeat_headers = o.repeat_headers ? 1 : 0;
  if (!o.per_macroblock_qp) {
    p.rc.i_rc_method = X264_RC_CQP;
    p.rc.i_qp_constant = o.base_qp;
    // x264 would code I-frames 3 QPs lower (ipratio 1.4): a uniform QP means every frame.
    p.rc.f_ip_factor = 1.0f;
    p.rc.f_pb_factor = 1.0f;
  } else {
    // The exact-QP recipe (see the header).
    p.rc.i_rc_method = X264_RC_CRF;
    p.rc.f_rf_constant = static_cast<float>(o.base_qp);
    p.rc.f_qcompress = 1.0f;
    p.rc.i_aq_mode = X264_AQ_VARIANCE;
    p.rc.f_aq_strength = 1e-4f;
    p.rc.b_mb_tree = 0;
    p.rc.f_ip_factor = 1.0f;
    p.rc.f_pb_factor = 1.0f;
    p.rc.i_qp_min = 0;
    p.rc.i_qp_max = 51;
    p.rc.i_qp_step = 51;
  }
  impl_->enc = x264_encoder_open(&p);
  check<RuntimeError>(impl_->enc != nullptr, "x264_encoder_open failed for ", width, "x", height, " preset ", o.preset);
  x264_encoder_parameters(impl_->enc, &p);  // what x264 resolved (threads, lookahead, ...)
}

H264Encoder::~H264Encoder() = default;

std::vector<uint8_t> H264Encoder::headers() const {
  x264_nal_t* nals = nullptr;
  int n = 0;
  check<RuntimeError>(x264_encoder_headers(impl_->enc, &nals, &n) >= 0, "x264_encoder_headers failed");
  std::vector<uint8_t> out;
  for (int i = 0; i < n; ++i)
    if (nals[i].i_type == NAL_SPS || nals[i].i_type == NAL_PPS)
      out.insert(out.end(), nals[i].p_payload, nals[i].p_payload + nals[i].i_payload);
  return out;
}

void H264Encoder::encode(const video::Frame& f, const uint8_t* mb_qp, std::vector<video::EncodedPacket>* out) {
  check<RuntimeError>(f.format == video::PixelFormat::kYuv420p && f.width == impl_->width && f.height == impl_->height,
                      "encoder expects ", impl_->width, "x", impl_->height, " yuv420p, got ", f.width, "x", f.height,
                      " ", video::pixel_format_name(f.format));
  check<RuntimeError>(mb_qp == nullptr || impl_->opt.per_macroblock_qp,
                      "a QP map was given to an encoder opened in constant-QP mode");
  x264_picture_t pic;
  x264_picture_init(&pic);
  pic.img.i_csp = X264_CSP_I420;
  pic.img.i_plane = 3;
  for (int i = 0; i < 3; ++i) {
    pic.img.plane[i] = const_cast<uint8_t*>(f.plane(i));
    pic.img.i_stride[i] = f.stride(i);
  }
  pic.i_pts = f.index;
  pic.i_type = f.index % impl_->opt.gop_frames == 0 ? X264_TYPE_IDR : X264_TYPE_AUTO;
  if (mb_qp) {
    size_t n = static_cast<size_t>(mb_cols_) * mb_rows_;
    for (size_t i = 0; i < n; ++i)  // before the array exists: a refused map must not leak it
      check<InputError>(mb_qp[i] >= 1 && mb_qp[i] <= 51, "QP ", int(mb_qp[i]), " out of range [1, 51] at macroblock ",
                        i, " of frame ", f.index, " (at QP 0 x264 switches the whole frame to lossless)");
    // x264 keeps the array until it has encoded the frame, then calls quant_offsets_free.
    float* offsets = static_cast<float*>(std::malloc(n * sizeof(float)));
    check<RuntimeError>(offsets != nullptr, "out of memory");
    for (size_t i = 0; i < n; ++i) offsets[i] = static_cast<float>(mb_qp[i] - impl_->opt.base_qp);
    pic.prop.quant_offsets = offsets;
    pic.prop.quant_offsets_free = std::free;
  }
  x264_nal_t* nals = nullptr;
  int n_nals = 0;
  x264_picture_t pic_out;
  int size = x264_encoder_encode(impl_->enc, &nals, &n_nals, &pic, &pic_out);
  check<RuntimeError>(size >= 0, "x264_encoder_encode failed at frame ", f.index);
  impl_->collect(size, nals, pic_out, out);
}

void H264Encoder::flush(std::vector<video::EncodedPacket>* out) {
  while (x264_encoder_delayed_frames(impl_->enc) > 0) {
    x264_nal_t* nals = nullptr;
    int n_nals = 0;
    x264_picture_t pic_out;
    int size = x264_encoder_encode(impl_->enc, &nals, &n_nals, nullptr, &pic_out);
    check<RuntimeError>(size >= 0, "x264_encoder_encode failed while flushing");
    impl_->collect(size, nals, pic_out, out);
  }
}

Json H264Encoder::effective_params() const {
  const x264_param_t& p = impl_->param;
  const char* rc = p.rc.i_rc_method == X264_RC_CQP ? "cqp" : p.rc.i_rc_method == X264_RC_CRF ? "crf" : "abr";
  Json j = {{"preset", impl_->opt.preset},
            {"tune", impl_->opt.tune},
            {"width", p.i_width},
            {"height", p.i_height},
            {"fps_num", p.i_fps_num},
            {"fps_den", p.i_fps_den},
            {"threads", p.i_threads},
            {"lookahead_threads", p.i_lookahead_threads},
            {"keyint", p.i_keyint_max},
            {"scenecut", p.i_scenecut_threshold},
            {"bframes", p.i_bframe},
            {"refs", p.i_frame_reference},
            {"rc", rc},
            {"qp", p.rc.i_qp_constant},
            {"crf", p.rc.f_rf_constant},
            {"qcomp", p.rc.f_qcompress},
            {"aq_mode", p.rc.i_aq_mode},
            {"aq_strength", p.rc.f_aq_strength},
            {"mbtree", p.rc.b_mb_tree},
            {"ipratio", p.rc.f_ip_factor},
            {"pbratio", p.rc.f_pb_factor},
            {"qpmin", p.rc.i_qp_min},
            {"qpmax", p.rc.i_qp_max},
            {"rc_lookahead", p.rc.i_lookahead},
            {"subme", p.analyse.i_subpel_refine},
            {"me", x264_motion_est_names[p.analyse.i_me_method]},
            {"trellis", p.analyse.i_trellis},
            {"cabac", p.b_cabac},
            {"deblock", p.b_deblocking_filter},
            {"repeat_headers", p.b_repeat_headers},
            {"per_macroblock_qp", impl_->opt.per_macroblock_qp},
            {"base_qp", impl_->opt.base_qp}};
  return j;
}

std::string x264_version() { return cat(X264_BUILD, " (", X264_POINTVER, ")"); }

}  // namespace vssoff::codec
