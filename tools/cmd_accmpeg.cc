// AccMPEG: vssoff accgrad, train-cheap-model and qpmap.
#include <cmath>
#include <memory>

#include "accmpeg/accgrad.h"
#include "accmpeg/cheap_model.h"
#include "accmpeg/make_qp_map.h"
#include "commands.h"
#include "common.h"
#include "core/log.h"
#include "core/plugin.h"

namespace vssoff::tools {

void setup_accgrad(CLI::App& app) {
  auto opt = std::make_shared<accmpeg::AccGradOptions>();
  CLI::App* sub =
      add_subcommand(app, "accgrad", "AccMPEG ground truth: per-macroblock accuracy gradients of a server model", [=] {
        accmpeg::AccGradResult r = VSSOFF_PLUGIN_CALL(vssoff::accmpeg::accgrad)(*opt);
        log_info("wrote ", opt->output, ": ", r.frames, " frames x ", r.rows, "x", r.cols, " macroblocks in ",
                 r.seconds, " s");
      });
  sub->add_option("input", opt->input, "Input video (the high-quality original)")->required();
  sub->add_option("-o,--output", opt->output, "Gradients to write (.npy; manifest OUTPUT.json)")->required();
  sub->add_option("--model", opt->model, "Server model: card (.json) or TorchScript file")->required();
  sub->add_option("--mode", opt->mode,
                  "grad (gradient at the frame) or taylor (gradient at the QP_lo frame x |high - low|)")
      ->capture_default_str();
  sub->add_option("--qp-lo", opt->qp_lo, "taylor: QP of the low-quality encode")->capture_default_str();
  sub->add_option("--classes", opt->classes,
                  "Proxy over pixels of these reference classes only, e.g. 5,6 (default: all)")
      ->delimiter(',');
  sub->add_option("--start", opt->start, "First frame index")->capture_default_str();
  sub->add_option("--frames", opt->frames, "Number of frames from --start (-1 = to the end)")->capture_default_str();
  sub->add_option("--every", opt->every, "Differentiate every k-th frame, counting from --start")
      ->capture_default_str();
  sub->add_option("--threads", opt->threads, "Threads (0 = the thread budget)")->capture_default_str();
  sub->add_option("--heatmap", opt->heatmap, "Write a PNG of the first sampled frame's gradients");
  sub->add_flag("--force", opt->force, "Overwrite existing outputs");
}

void setup_train_cheap_model(CLI::App& app) {
  auto opt = std::make_shared<accmpeg::TrainCheapOptions>();
  CLI::App* sub =
      add_subcommand(app, "train-cheap-model", "Train AccMPEG's camera-side cheap model on accgrad outputs", [=] {
        accmpeg::TrainCheapResult r = VSSOFF_PLUGIN_CALL(vssoff::accmpeg::train_cheap_model)(*opt);
        log_info("wrote ", opt->output, ": ", r.epochs, " epochs in ", r.seconds, " s; held-out AUC ", r.val_auc,
                 ", precision ", r.val_precision, ", recall ", r.val_recall, " (", r.val_frames, " frames)");
      });
  sub->add_option("accgrad", opt->accgrad, "accgrad outputs (.npy); each names the video it was computed on")
      ->required();
  sub->add_option("-o,--output", opt->output, "Model card to write (.json); weights beside it (.pt)")->required();
  sub->add_option("--width", opt->width, "Network width")->capture_default_str();
  sub->add_option("--top", opt->top_percent, "Label the top k% of each frame's macroblocks important")
      ->capture_default_str();
  sub->add_option("--threshold", opt->threshold, "Instead of --top: label gradients above this important");
  sub->add_option("--pos-weight", opt->pos_weight, "Loss weight of the important class")->capture_default_str();
  sub->add_option("--epochs", opt->epochs, "Most epochs")->capture_default_str();
  sub->add_option("--patience", opt->patience, "Stop after this many epochs without a better validation AUC")
      ->capture_default_str();
  sub->add_option("--batch", opt->batch, "Frames per step")->capture_default_str();
  sub->add_option("--lr", opt->lr, "Adam learning rate")->capture_default_str();
  sub->add_option("--val-share", opt->val_share, "Last share of each clip's frames held out for validation")
      ->capture_default_str();
  sub->add_option("--seed", opt->seed, "Seed")->capture_default_str();
  sub->add_option("--threads", opt->threads, "Threads (0 = the thread budget)")->capture_default_str();
  sub->add_flag("--force", opt->force, "Overwrite an existing card and weights");
}

void setup_qpmap(CLI::App& app) {
  auto c = std::make_shared<accmpeg::MakeQpMapOptions>();
  auto no_clean = std::make_shared<bool>(false);
  CLI::App* sub = add_subcommand(
      app, "qpmap", "Per-segment QP maps for encode-roi: AccMPEG (cheap model or accgrad) or boxes", [=] {
        accmpeg::MakeQpMapOptions opt = *c;
        opt.params.clean = !*no_clean;
        accmpeg::MakeQpMapResult r = accmpeg::make_qp_map(opt);
        log_info("wrote ", opt.output, ": ", r.map.count, " segments of ", opt.params.segment_frames, " frames, ",
                 std::round(1000.0 * r.high_share) / 10, "% of macroblocks at QP ", opt.params.qp_hi, ", mean QP ",
                 std::round(10 * r.mean_qp) / 10);
      });
  sub->add_option("input", c->input, "Input video (the maps fit its size)")->required();
  sub->add_option("-o,--output", c->output, "QP map to write (.npy; manifest OUTPUT.json)")->required();
  sub->add_option("--cheap-model", c->cheap_model, "Importance from this cheap model (train-cheap-model card)");
  sub->add_option("--importance", c->importance, "Importance from these accgrad gradients (oracle AccMPEG)");
  sub->add_option("--boxes", c->boxes, "High quality inside these boxes (COCO JSON; EAAR- and Vigil-like)");
  sub->add_option("--server-model", c->server_model, "Refuse a cheap model or gradients made for another server model");
  sub->add_option("--segment-frames", c->params.segment_frames, "Frames per segment (= encode-roi's)")
      ->capture_default_str();
  sub->add_option("--sample", c->sample, "Frames of a segment the cheap model scores: ends, first or all")
      ->capture_default_str();
  sub->add_option("--top", c->params.top_percent, "Share of macroblocks (%) at --qp-hi")->capture_default_str();
  sub->add_option("--threshold", c->params.threshold, "Instead of --top: importance above this gets --qp-hi");
  sub->add_option("--dilate", c->params.dilate, "Grow important regions by this many macroblocks")
      ->capture_default_str();
  sub->add_flag("--no-clean", *no_clean, "Skip the 3x3 opening and closing");
  sub->add_option("--qp-hi", c->params.qp_hi, "QP of important macroblocks")->capture_default_str();
  sub->add_option("--qp-lo", c->params.qp_lo, "QP of the rest")->capture_default_str();
  sub->add_option("--graded", c->params.graded,
                  "Graded map: QP steps per doubling of importance (0 = two levels, AccMPEG's)")
      ->capture_default_str();
  sub->add_option("--qp-mean", c->params.qp_mean, "Graded map: QP at the segment's mean importance")
      ->capture_default_str();
  sub->add_option("--box-margin", c->box_margin, "Pixels added around each box")->capture_default_str();
  sub->add_option("--threads", c->threads, "Cheap-model threads (0 = half the budget, the decoder the rest)")
      ->capture_default_str();
  sub->add_option("--heatmap", c->heatmap, "Write a PNG of a segment's QP map over its first frame");
  sub->add_option("--importance-heatmap", c->importance_heatmap,
                  "Write a PNG of a segment's importance over its first frame");
  sub->add_option("--heatmap-segment", c->heatmap_segment, "Segment shown by the heatmaps")->capture_default_str();
  sub->add_flag("--force", c->force, "Overwrite existing outputs");
  sub->add_flag("--strict-length", c->strict_length,
                "Fail on a video shorter than its header says (default: warn, use what decodes)");
}

}  // namespace vssoff::tools
