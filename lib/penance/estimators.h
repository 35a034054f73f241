// Penance's two estimators, trained from profile tables and saved together as one artefact
// (format "vssoff.penance-estimators", version 1). Torch-free.
//
// Bitrate (camera side): bytes of every (QP, scale) of a segment from raw-frame features,
// without encoding each setting. For each (q, s): log(bytes) = a + b log(1 + intra) +
// c log(1 + inter) + d log(probe26) + e log(probe38), least squares over the training
// segments, where intra is the first frame's mean luma gradient (what intra coding pays
// for), inter the mean luma change between frames (what inter coding pays for), and the
// probes the bytes of two quick half-size encodes of the segment at QP 26 and 38 (what
// H.264's motion compensation leaves, and how fast it falls with the QP).
//
// Accuracy (server side): from the softmax statistics of the segment just served (by the
// action actually used), the accuracy of every action on the next segment. Ridge regression
// on [statistics in the served model's block, one-hot of the served action, 1] with one
// output per action: the same confidence means a different accuracy from another model.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include "core/manifest.h"

namespace vssoff::penance {

inline constexpr int kEstimatorsVersion = 3;  // 3: accuracy.mean

struct Action {
  std::string model;
  int qp = 0;
  double scale = 1;
  bool operator<(const Action& o) const { return std::tie(model, qp, scale) < std::tie(o.model, o.qp, o.scale); }
  bool operator==(const Action& o) const { return model == o.model && qp == o.qp && scale == o.scale; }
  std::string name() const;  // "segnet-w16@qp30x0.75"
};

// One segment of a profile table: per-action outcomes and the served statistics.
struct SegmentRow {
  double bytes = 0, accuracy = 0, gflops = 0;
  std::vector<double> stats;  // softmax statistics (the table's stats columns, NaN as 0)
};
struct ProfileTable {
  std::string path;
  std::vector<std::string> models;  // cheapest first, as profiled
  std::vector<int> qps;
  std::vector<double> scales;
  std::vector<Action> actions;  // models x qps x scales
  int segment_frames = 0;
  std::string server_input;  // "sent" or "original" (profile.h)
  double fps = 30;
  std::vector<int> frames;                             // frames per segment
  std::vector<double> intra, inter, probe26, probe38;  // per segment
  std::vector<std::vector<SegmentRow>> rows;           // [segment][action]
  std::vector<std::string> stat_names;
  std::string video;  // absolute path of the profiled video
  Json manifest;
};
// Reads a table and its manifest; InputError when an action or a segment is missing.
ProfileTable read_profile_table(const std::string& path);

struct Estimators {
  std::vector<std::string> models;
  std::vector<int> qps;
  std::vector<double> scales;
  std::vector<Action> actions;
  std::vector<std::string> stat_names;
  std::string server_input;       // of the tables they were trained on
  std::vector<size_t> acc_stats;  // the statistics (indices into stat_names) the accuracy predictor uses
  // bitrate: per (q, s) index qi * scales + si: {a, b, c, d, e}
  std::vector<std::array<double, 5>> rate;
  // accuracy: weights [features][actions], features = stats x models + one-hot(actions) + 1
  std::vector<std::vector<double>> acc_w;
  // per action: RMS error of the accuracy prediction on tables left out of the fit, and RMS
  // change of the true accuracy between consecutive segments
  std::vector<double> acc_sd, change_sd;
  // per action: mean accuracy on the training tables (empty in version 2 files)
  std::vector<double> mean_accuracy;
  double ridge = 1e-2;
  std::string cnn_weights;  // the bitrate CNN (resolved path); empty = analytic only
  Json metrics;

  double predict_bytes(int qp_index, int scale_index, double intra, double inter, double probe26, double probe38) const;
  // Accuracy of every action on the next segment, from the statistics of `served` now.
  std::vector<double> predict_accuracy(const std::vector<double>& stats, int served) const;
  // InputError naming both grids when the table's actions differ from the estimators'.
  void check_fits(const ProfileTable& t) const;
  // Bytes of every (QP, scale) of every segment of a table: [segments][qi * scales + si],
  // from the bitrate CNN (on the table's video; needs the model plugin) or the analytic form.
  std::vector<std::vector<double>> predict_table_bytes(const ProfileTable& t, bool cnn, int threads = 0) const;
};

struct TrainEstimatorsOptions {
  std::vector<std::string> tables, holdout;  // training tables; held-out tables for the report
  std::string output;                        // .json
  double ridge = -1;                         // per training sample; -1: chosen leaving one table out
  bool cnn = true;                           // also train the bitrate CNN (model plugin)
  int threads = 0;
  bool force = false;
};
Estimators train_estimators(const TrainEstimatorsOptions& options);
Estimators read_estimators(const std::string& path);

// Median absolute percentage error of predicted bytes, and mean absolute error of predicted
// accuracy (next segment, every served action), over the tables.
std::pair<double, double> estimator_errors(const Estimators& e, const std::vector<ProfileTable>& tables);

}  // namespace vssoff::penance
