// vssoff info: what a video holds; with --decode, what its bitstream carries per frame.
#include <cmath>
#include <iostream>
#include <memory>

#include "commands.h"
#include "common.h"
#include "core/csv.h"
#include "core/fs.h"
#include "core/npy.h"
#include "video/inspect.h"

namespace vssoff::tools {

namespace {
struct InfoOptions {
  std::string input, qp_out, frames_csv;
  video::InspectOptions inspect;
  bool force = false;
};
}  // namespace

void setup_info(CLI::App& app) {
  auto opt = std::make_shared<InfoOptions>();
  CLI::App* sub = add_subcommand(
      app, "info", "Print a video's properties as JSON; optionally decode it and dump per-macroblock QPs", [=] {
        if (!opt->qp_out.empty()) {
          check_output_path(opt->qp_out, opt->force);
          opt->inspect.export_qp = true;
        }
        if (!opt->frames_csv.empty()) {
          check_output_path(opt->frames_csv, opt->force);
          opt->inspect.frame_stats = true;
        }
        video::InspectResult r = video::inspect_video(opt->input, opt->inspect);
        if (!opt->qp_out.empty())
          write_npy(opt->qp_out, NpyArray::from<uint8_t>({r.decoded_frames, r.mb_rows, r.mb_cols}, r.qp), opt->force);
        if (!opt->frames_csv.empty()) {
          CsvWriter csv({"frame", "time_s", "type", "packet_bytes", "mean_qp"});
          for (const auto& f : r.frames)
            csv.add_row({std::to_string(f.index), csv_number(f.time_s), std::string(1, f.type),
                         std::to_string(f.packet_bytes), std::isnan(f.mean_qp) ? "" : csv_number(f.mean_qp)});
          csv.write(opt->frames_csv, opt->force);
        }
        std::cout << r.to_json().dump(2) << std::endl;
      });
  sub->add_option("input", opt->input, "Video (any FFmpeg input, including image patterns like frames/%06d.png)")
      ->required();
  sub->add_flag("--decode", opt->inspect.decode, "Decode every frame: count, frame types, decode speed");
  sub->add_option("--qp-out", opt->qp_out,
                  "Write the per-macroblock QPs of every frame as NPY [frames, mb_rows, mb_cols] (H.264)");
  sub->add_option("--frames-csv", opt->frames_csv,
                  "Write one CSV row per frame: frame, time_s, type, packet_bytes, mean_qp");
  sub->add_option("--threads", opt->inspect.threads, "Decoder threads (0 = the thread budget)")->capture_default_str();
  sub->add_flag("--force", opt->force, "Overwrite existing outputs");
}

}  // namespace vssoff::tools
