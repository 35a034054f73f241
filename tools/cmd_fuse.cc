// vssoff fuse: REACT's edge-cloud fusion of detections, with the edge-only and cloud-only
// baselines (react/fuse.h).
#include <iostream>
#include <memory>

#include "commands.h"
#include "common.h"
#include "react/fuse.h"

namespace vssoff::tools {

void setup_fuse(CLI::App& app) {
  auto opt = std::make_shared<react::FuseOptions>();
  CLI::App* sub = add_subcommand(
      app, "fuse",
      "REACT: fuse edge detections (every k frames) with late cloud detections, tracked in between; also the "
      "edge-only and cloud-only baselines",
      [=] {
        if (opt->fusion.tracker == "list") {
          for (const react::TrackerInfo& t : react::trackers()) std::cout << t.name << "\t" << t.description << "\n";
          return;
        }
        react::fuse(*opt);
      });
  sub->add_option("--edge", opt->edge, "Edge detections (a detect output directory)");
  sub->add_option("--cloud", opt->cloud, "Cloud detections (a detect output directory)");
  sub->add_option("--video", opt->video, "The video both were computed on");
  sub->add_option("-o,--output", opt->output, "Output directory (react/, edge-only/, cloud-only/, manifest.json)");
  sub->add_option("--delay", opt->delay_frames, "Cloud delay in frames, the same for every cloud result");
  sub->add_option("--delays", opt->delays, "Per-result cloud delays: CSV frame,delay_frames or frame,delay_s");
  sub->add_option("--methods", opt->methods,
                  "Modes to run and write, comma-separated: react, edge-only, cloud-only (a deployment runs react "
                  "alone; B10's evaluation needs all three)")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--threads", opt->threads,
                  "Worker threads, at most one per mode (0: the thread budget; 1: all on one thread)")
      ->capture_default_str();
  sub->add_option("--tracker", opt->fusion.tracker,
                  "Tracker: " + react::tracker_names() + " (list: print them with a description)")
      ->capture_default_str();
  sub->add_option("--iou", opt->fusion.iou_threshold, "Least IoU of a match")->capture_default_str();
  sub->add_option("--decay", opt->fusion.decay, "Score factor per frame of tracker failure or empty edge result")
      ->capture_default_str();
  sub->add_option("--min-score", opt->fusion.min_score, "Objects under this score are removed")->capture_default_str();
  sub->add_flag("--keep-unconfirmed", opt->fusion.keep_unconfirmed,
                "At an edge result, keep (decayed) the unmatched objects the cloud saw last, instead of dropping them");
  sub->add_option("--matched-score", opt->fusion.matched_score,
                  "Score of an edge box matched to a cloud-class object: arrived (the edge's) or max")
      ->capture_default_str();
  sub->add_option("--buffer", opt->fusion.buffer_frames, "Frames kept for fast-forwarding cloud results")
      ->capture_default_str();
  sub->add_flag("--allow-short-buffer", opt->fusion.allow_short_buffer,
                "A cloud delay beyond the buffer fast-forwards from the oldest buffered frame instead of failing");
  sub->add_option("--overlay-every", opt->overlay_every,
                  "Write overlay/NNNNNN.png (react's boxes: orange = cloud class, cyan = edge only) every N frames")
      ->capture_default_str();
  sub->add_flag("--force", opt->force, "Replace an existing output directory");
}

}  // namespace vssoff::tools
