// vssoff plan: one subcommand for the offline replay of every system's policies over a
// profile: Penance's per-segment choices (penance/plan.h) over a profile table, CBO's
// per-frame offload decisions (cbo/offload.h) over an offload profile; the profile's
// manifest says which.
#include <cstdio>
#include <memory>

#include "cbo/offload.h"
#include "commands.h"
#include "common.h"
#include "core/log.h"
#include "penance/plan.h"
#include "penance/policy.h"

namespace vssoff::tools {

void setup_plan(CLI::App& app) {
  auto opt = std::make_shared<penance::PlanOptions>();
  auto cbo = std::make_shared<cbo::OffloadPlanOptions>();
  auto policies_given = std::make_shared<std::vector<std::string>>();
  auto self = std::make_shared<CLI::App*>(nullptr);
  CLI::App* sub = add_subcommand(
      app, "plan",
      "Plan offloading over a profile against oracles and baselines: Penance (a profile table) or CBO (an offload "
      "profile)",
      [=] {
        const bool is_cbo = cbo::is_offload_profile(opt->table);
        // An option of the other system is a mistake, not something to ignore.
        for (const char* o : is_cbo ? std::vector<const char*>{"--estimators", "--targets", "--reprofile-every",
                                                               "--acc-margin", "--bw-margin", "--confidence",
                                                               "--acc-feedback", "--bitrate", "--threads"}
                                    : std::vector<const char*>{"--train", "--calibrator", "--deadlines-ms", "--rtt-ms",
                                                               "--trace-offset", "--plot"})
          check<UsageError>((*self)->count(o) == 0, o, " is for ",
                            is_cbo ? "Penance profile tables" : "CBO offload profiles", "; ", opt->table, " is ",
                            is_cbo ? "an offload profile" : "a Penance profile table");
        if (is_cbo) {
          cbo->profile = opt->table, cbo->output = opt->output, cbo->trace = opt->trace;
          cbo->initial_kbps = opt->initial_kbps, cbo->force = opt->force;
          if (!policies_given->empty()) cbo->policies = *policies_given;
          cbo::OffloadPlanResult r = cbo::offload_plan(*cbo);
          log_info("deadline  policy                 mean mIoU  95% interval      offloaded  late      MB  decision");
          for (const auto& x : r.results) {
            char line[192];
            std::snprintf(line, sizeof line, "%5.0f ms  %-21s  %9.4f  [%.4f, %.4f]  %9.3f  %4lld  %6.2f  %5.1f us",
                          x.deadline_ms, x.policy.c_str(), x.accuracy, x.ci_low, x.ci_high,
                          double(x.offloaded) / x.frames, (long long)x.late, x.bytes / 1e6, x.decision_us_mean);
            log_info(line);
          }
          return;
        }
        if (!policies_given->empty()) opt->policies = *policies_given;
        penance::PlanResult r = penance::plan(*opt);
        log_info(
            "policy     target  cost/oracle  failed  (accuracy, bandwidth)  on feasible  mean mIoU       MB  decision");
        for (const auto& x : r.summaries) {
          char line[192];
          std::snprintf(line, sizeof line,
                        "%-10s %6.3f  %11.3f  %5.1f%%  (%3lld, %3lld)             %4lld/%-4lld  %9.3f  %7.2f  %5.1f us",
                        x.policy.c_str(), x.target, x.relative_cost, 100 * x.failure_rate, (long long)x.acc_misses,
                        (long long)x.bw_misses, (long long)x.feasible_failures, (long long)x.feasible_segments,
                        x.mean_accuracy, x.bytes / 1e6, x.decision_us);
          log_info(line);
        }
      });
  *self = sub;
  sub->add_option("table", opt->table,
                  "Profile of the video: a Penance profile table (.csv), or a CBO offload profile (offload-profile)")
      ->required();
  sub->add_option("-o,--output", opt->output, "Plan to write (.csv; summary in OUTPUT.json)")->required();
  sub->add_option("--estimators", opt->estimators, "Penance: estimators from train-estimators (required)");
  sub->add_option("--trace", opt->trace, "Bandwidth trace: CSV time_s,kbps or Mahimahi")->required();
  sub->add_option("--targets", opt->targets, "Penance: accuracy (mIoU) targets, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  std::string policies = "Policies, comma-separated. Penance (the oracle always runs for the cost ratio):";
  for (const auto& p : penance::policy_registry())
    policies += cat("\n  ", p.name, p.by_default ? "" : " (not by default)", ": ", p.description);
  policies += "\nCBO (all by default): cbo, oracle, never, always, raw-threshold, calibrated-threshold";
  sub->add_option("--policies", *policies_given, policies)->delimiter(',');
  sub->add_option("--initial-kbps", opt->initial_kbps,
                  "The sender's bandwidth estimate before the first segment (0: the trace's rate over it)")
      ->capture_default_str();
  sub->add_option("--reprofile-every", opt->reprofile_every,
                  "Penance: Chameleon's profiling period in segments (every action on a segment's scored frames)")
      ->capture_default_str();
  sub->add_option("--acc-margin", opt->acc_margin, "Penance: the smallest (and starting) accuracy margin")
      ->capture_default_str();
  sub->add_option("--bw-margin", opt->bw_margin, "Penance: the smallest (and starting) bandwidth margin")
      ->capture_default_str();
  sub->add_option("--confidence", opt->confidence,
                  "Penance: standard deviations of each action's prediction error (measured in training) that penance "
                  "allows for")
      ->capture_default_str();
  sub->add_option(
         "--acc-feedback", opt->acc_feedback,
         "Penance: the rate of correcting accuracy predictions from the measured accuracy of what it served (0: off)")
      ->capture_default_str();
  sub->add_option("--bitrate", opt->bitrate, "Penance: byte predictions: cnn, analytic, or auto (the CNN when trained)")
      ->capture_default_str();
  sub->add_option("--threads", opt->threads, "Penance: bitrate CNN threads (0 = the thread budget)")
      ->capture_default_str();
  sub->add_option("--train", cbo->train, "CBO: training offload profiles (the gain model; the baselines' knobs)")
      ->delimiter(',');
  sub->add_option("--calibrator", cbo->calibrator, "CBO: frame-level calibrator of the edge model (calibrate)");
  sub->add_option("--deadlines-ms", cbo->deadlines_ms, "CBO: deadlines after capture, ms, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--rtt-ms", cbo->rtt_ms, "CBO: round-trip propagation delay, ms")->capture_default_str();
  sub->add_option("--trace-offset", cbo->trace_offset_s, "CBO: where in the trace the video starts, s (it wraps)")
      ->capture_default_str();
  sub->add_option("--plot", cbo->plot, "CBO: accuracy against deadline for every policy (PNG)");
  sub->add_flag("--force", opt->force, "Overwrite existing outputs");
}

}  // namespace vssoff::tools
