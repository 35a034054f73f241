// vssoff encode-roi: H.264 encode with a per-macroblock QP map (or a uniform QP).
#include <cstdio>
#include <memory>

#include "codec/encode_roi.h"
#include "commands.h"
#include "common.h"
#include "core/log.h"

namespace vssoff::tools {

void setup_encode_roi(CLI::App& app) {
  auto opt = std::make_shared<codec::EncodeRoiOptions>();
  auto kind = std::make_shared<std::string>("absolute");
  auto per = std::make_shared<std::string>("segment");
  CLI::App* sub = add_subcommand(app, "encode-roi", "Encode a video with a per-macroblock QP map (libx264)", [=] {
    opt->map_defaults.kind = codec::parse_qp_map_kind(*kind);
    opt->map_defaults.granularity = codec::parse_qp_map_granularity(*per);
    codec::EncodeRoiResult r = codec::encode_roi(*opt);
    std::string summary =
        cat("wrote ", opt->output, ": ", r.frames, " frames ", r.width, "x", r.height, ", ", r.total_bytes, " bytes, ",
            r.segment_bytes.size(), " segments, ", r.frames / r.seconds, " frames/s");
    if (opt->verify || !opt->recon.empty()) {
      summary += cat("; PSNR-Y ", r.psnr_y, " dB");
      for (const auto& [qp, psnr] : r.psnr_y_by_qp) summary += cat(", QP ", qp, ": ", psnr, " dB");
      summary += cat("; macroblock QPs exact ", r.qp_check.exact, ", inherited ", r.qp_check.inherited, ", wrong ",
                     r.qp_check.mismatched);
    }
    log_info(summary);
  });
  sub->add_option("input", opt->input, "Input video (any FFmpeg input)")->required();
  sub->add_option("-o,--output", opt->output, "Output video: .mp4, .mkv or .h264 (manifest: OUTPUT.json)")->required();
  sub->add_option("--qp", opt->qp, "Uniform QP in [0, 51] (instead of a QP map)");
  sub->add_option("--qp-map", opt->qp_map, "QP map: NPY [N, ceil(H/16), ceil(W/16)] or its .json manifest");
  sub->add_option("--qp-map-kind", *kind, "For a bare NPY: absolute (QPs) or offset (added to --qp-map-base)")
      ->capture_default_str();
  sub->add_option("--qp-map-base", opt->map_defaults.base_qp, "For a bare NPY of offsets: the QP they are added to")
      ->capture_default_str();
  sub->add_option("--qp-map-per", *per, "For a bare NPY with N > 1: one map per segment or per frame")
      ->capture_default_str();
  sub->add_option("--segment", opt->segment_frames, "Segment length = GOP, in frames")->capture_default_str();
  sub->add_option("--scale", opt->scale, "Resolution scale in (0, 1] applied before encoding")->capture_default_str();
  sub->add_option("--preset", opt->encoder.preset, "x264 preset")->capture_default_str();
  sub->add_option("--tune", opt->encoder.tune, "x264 tune (e.g. zerolatency)");
  sub->add_option("--threads", opt->encoder.threads, "x264 threads (0 = 1.5 per core of the thread budget)")
      ->capture_default_str();
  sub->add_option("--bframes", opt->encoder.bframes, "B-frames (0 = low latency)")->capture_default_str();
  sub->add_option("--decode-threads", opt->decode_threads, "Input decoder threads (0 = the thread budget)")
      ->capture_default_str();
  sub->add_option("--frames", opt->max_frames, "Encode at most this many frames (-1 = all)")->capture_default_str();
  sub->add_flag("--verify", opt->verify,
                "Decode the output: PSNR per QP level and a per-macroblock QP check, in the manifest");
  sub->add_option("--recon", opt->recon, "Write the decoded reconstruction as .y4m (implies --verify)");
  sub->add_option("--heatmap", opt->heatmap, "Write a PNG of the QP map over a frame");
  sub->add_option("--heatmap-frame", opt->heatmap_frame, "Frame shown by --heatmap")->capture_default_str();
  sub->add_flag("--force", opt->force, "Overwrite existing outputs");
  sub->add_flag("--strict-length", opt->strict_length,
                "Fail on a video shorter than its header says (default: warn, use what decodes)");
}

}  // namespace vssoff::tools
