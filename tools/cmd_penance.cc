// Penance: vssoff profile and profile-merge.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "common.h"
#include "core/log.h"
#include "core/plugin.h"
#include "penance/estimators.h"
#include "penance/plan.h"
#include "penance/policy.h"
#include "penance/profile.h"

namespace vssoff::tools {

void setup_profile(CLI::App& app) {
  auto opt = std::make_shared<penance::ProfileOptions>();
  auto shard = std::make_shared<std::string>("0/1");
  CLI::App* sub = add_subcommand(
      app, "profile", "Penance configuration table: bytes, accuracy, cost, softmax statistics per segment and action",
      [=] {
        penance::parse_shard(*shard, &opt->shard_index, &opt->shard_count);
        penance::ProfileResult r = VSSOFF_PLUGIN_CALL(vssoff::penance::profile)(*opt);
        log_info("wrote ", opt->output, ": ", r.rows, " rows, ", r.segments, " segments (", r.skipped_segments,
                 " resumed) in ", r.seconds, " s");
      });
  sub->add_option("input", opt->input, "Input video")->required();
  sub->add_option("-o,--output", opt->output, "Table to write (.csv; manifest OUTPUT.json)")->required();
  sub->add_option("--models", opt->models, "Server models, cheapest first, comma-separated (cards or TorchScript)")
      ->delimiter(',')
      ->required();
  sub->add_option("--qps", opt->qps, "QPs, comma-separated")->delimiter(',')->capture_default_str();
  sub->add_option("--scales", opt->scales, "Resolution scales in (0, 1], comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--segment-frames", opt->segment_frames, "Frames per segment (= GOP)")->capture_default_str();
  sub->add_option("--acc-frames", opt->acc_frames, "Frames per segment scored for accuracy and statistics (0 = all)")
      ->capture_default_str();
  sub->add_option("--ground-truth", opt->ground_truth,
                  "Label PNGs or a synth directory (default: the reference model on the original)");
  sub->add_option("--reference-model", opt->reference_model,
                  "Reference model when there is no ground truth (default: the last of --models)");
  sub->add_option("--shard", *shard, "Profile segments with index % n == i (i/n)")->capture_default_str();
  sub->add_flag("--resume", opt->resume, "Continue an interrupted run from OUTPUT.partial");
  sub->add_option("--preset", opt->preset, "x264 preset")->capture_default_str();
  sub->add_option(
         "--server-input", opt->server_input,
         "The server runs on the frames as sent (cost scales with resolution) or scaled back to the original size")
      ->check(CLI::IsMember({"sent", "original"}))
      ->capture_default_str();
  sub->add_option("--threads", opt->threads, "Inference threads (0 = the thread budget)")->capture_default_str();
  sub->add_flag("--force", opt->force, "Overwrite existing outputs");
}

void setup_profile_merge(CLI::App& app) {
  auto tables = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  CLI::App* sub = add_subcommand(app, "profile-merge", "Join profile shards into the table one run would write", [=] {
    penance::profile_merge(*tables, *output, *force);
    log_info("wrote ", *output, " from ", tables->size(), " shard table(s)");
  });
  sub->add_option("tables", *tables, "Shard tables (.csv, each with its manifest)")->required();
  sub->add_option("-o,--output", *output, "Merged table (.csv)")->required();
  sub->add_flag("--force", *force, "Overwrite existing outputs");
}

void setup_train_estimators(CLI::App& app) {
  auto opt = std::make_shared<penance::TrainEstimatorsOptions>();
  CLI::App* sub = add_subcommand(
      app, "train-estimators", "Penance's bitrate estimator and accuracy predictor from profile tables", [=] {
        penance::Estimators e = penance::train_estimators(*opt);
        const Json& m = e.metrics;
        log_info("wrote ", opt->output, ": training bitrate MdAPE ", m["train"]["bitrate_mdape"].get<double>() * 100,
                 "%, accuracy MAE ", m["train"]["accuracy_mae"].get<double>());
        if (m["train"].contains("bitrate_cnn_mdape"))
          log_info("bitrate CNN: training MdAPE ", m["train"]["bitrate_cnn_mdape"].get<double>() * 100, "%");
        if (m.contains("holdout"))
          log_info("held out: bitrate MdAPE ", m["holdout"]["bitrate_mdape"].get<double>() * 100, "% analytic",
                   m["holdout"].contains("bitrate_cnn_mdape")
                       ? cat(", ", m["holdout"]["bitrate_cnn_mdape"].get<double>() * 100, "% CNN")
                       : std::string(),
                   "; accuracy MAE ", m["holdout"]["accuracy_mae"].get<double>(), " (",
                   m["holdout"]["segments"].get<int64_t>(), " segments)");
      });
  sub->add_option("tables", opt->tables, "Training profile tables (.csv)")->required();
  sub->add_option("-o,--output", opt->output, "Estimators to write (.json)")->required();
  sub->add_option("--holdout", opt->holdout, "Held-out tables: their errors go in the artefact")->delimiter(',');
  sub->add_option("--ridge", opt->ridge,
                  "Ridge strength of the accuracy predictor per sample (-1: chosen by leaving one table out)")
      ->capture_default_str();
  sub->add_flag(
      "--no-cnn", [opt](int64_t) { opt->cnn = false; }, "Skip the bitrate CNN (analytic estimator only)");
  sub->add_option("--threads", opt->threads, "CNN training threads (0 = the thread budget)")->capture_default_str();
  sub->add_flag("--force", opt->force, "Overwrite an existing output");
}

}  // namespace vssoff::tools
