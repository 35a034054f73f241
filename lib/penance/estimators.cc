#include "penance/estimators.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <opencv2/core.hpp>
#include <set>
#include <utility>

#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/plugin.h"
#include "penance/bitrate_cnn.h"
#include "penance/profile.h"

namespace fs = std::filesystem;

namespace vssoff::penance {
namespace {

double num(const std::string& s) { return s.empty() || s == "nan" ? 0.0 : std::stod(s); }

// Least squares / ridge: solve (X'X + ridge I) W = X'Y.
cv::Mat ridge_solve(const cv::Mat& X, const cv::Mat& Y, double ridge) {
  cv::Mat A = X.t() * X + ridge * cv::Mat::eye(X.cols, X.cols, CV_64F), W;
  cv::solve(A, X.t() * Y, W, cv::DECOMP_SVD);
  return W;
}

// [stats in the served model's block (zeros in the other models' blocks), one-hot of the
// served action, 1]: what a confidence means depends on the model that produced it.
size_t accuracy_feature_count(const Estimators& e) {
  return e.acc_stats.size() * e.models.size() + e.actions.size() + 1;
}
std::vector<double> accuracy_features(const Estimators& e, const std::vector<double>& stats, int served) {
  const size_t block = e.acc_stats.size(), model = served / (e.qps.size() * e.scales.size());
  std::vector<double> x(accuracy_feature_count(e), 0.0);
  for (size_t i = 0; i < block; ++i) x[model * block + i] = stats[e.acc_stats[i]];
  x[block * e.models.size() + served] = 1;
  x.back() = 1;
  return x;
}

}  // namespace

std::string Action::name() const { return cat(model, "@qp", qp, "x", csv_number(scale)); }

ProfileTable read_profile_table(const std::string& path) {
  ProfileTable t;
  t.path = path;
  const std::string mp = manifest_path_for(path);
  check_input_file(mp, "profile manifest");
  return read_artefact(mp, [&] {
    t.manifest = read_manifest(mp, "profile", kProfileVersion);
    const Json& p = t.manifest.at("params");
    check<InputError>(json_get<int>(t.manifest.at("shard"), "count", mp) == 1, path,
                      ": a shard of a table; join the shards with profile-merge first");
    for (const Json& m : p.at("models")) t.models.push_back(m.at("name").get<std::string>());
    t.qps = json_array_as<int>(p.at("qps"), "\"qps\"", mp);
    t.scales = p.at("scales").get<std::vector<double>>();
    t.segment_frames = json_get<int>(p, "segment_frames", mp);
    t.server_input = p.value("server_input", std::string("original"));  // version 1 tables
    t.fps = p.at("fps").get<double>();
    for (const Json& in : t.manifest.at("inputs"))
      if (in.at("role") == "video") t.video = in.at("path").get<std::string>();
    const int64_t segments = json_get<int64_t>(p, "segments", mp);
    CsvTable csv = read_csv(sidecar_path(t.manifest, mp, "table"));
    // One row per segment and action: a grid or a segment count that the rows cannot fill is
    // damage, found before anything is allocated for it.
    const size_t grid = t.models.size() * t.qps.size() * t.scales.size();
    check<InputError>(grid >= 1 && grid <= csv.rows.size() && segments >= 0 &&
                          static_cast<uint64_t>(segments) <= csv.rows.size() / grid,
                      path, ": its manifest states ", segments, " segments x ", grid, " actions, but the table has ",
                      csv.rows.size(), " rows (a damaged or incomplete table)");
    for (const auto& m : t.models)
      for (int q : t.qps)
        for (double s : t.scales) t.actions.push_back({m, q, s});
    std::map<Action, size_t> index;
    for (size_t i = 0; i < t.actions.size(); ++i) index[t.actions[i]] = i;

    read_artefact(csv.path, [&] {
      const size_t first_stat = csv.column("mean_max_prob");
      for (size_t c = first_stat; c < csv.columns.size(); ++c) t.stat_names.push_back(csv.columns[c]);
      t.rows.assign(segments, std::vector<SegmentRow>(t.actions.size()));
      t.frames.assign(segments, 0);
      t.intra.assign(segments, 0);
      t.inter.assign(segments, 0);
      t.probe26.assign(segments, 1);
      t.probe38.assign(segments, 1);
      std::vector<std::vector<bool>> seen(segments, std::vector<bool>(t.actions.size(), false));
      const size_t c_model = csv.column("model");
      for (size_t r = 0; r < csv.rows.size(); ++r) {
        const auto& row = csv.rows[r];
        const int64_t s = csv.integer(r, "segment"), qp = csv.integer(r, "qp"), frames = csv.integer(r, "frames");
        check<InputError>(std::in_range<int>(qp) && std::in_range<int>(frames), path, ": row ", r + 2,
                          ": qp or frames out of range");
        Action a{row[c_model], static_cast<int>(qp), csv.number(r, "scale")};
        auto it = index.find(a);
        check<InputError>(s >= 0 && s < segments && it != index.end(), path, ": row ", r + 2, " (segment ", s, ", ",
                          a.name(), ") is outside the grid its manifest states");
        SegmentRow& out = t.rows[s][it->second];
        out.bytes = csv.number(r, "bytes");
        out.accuracy = csv.number(r, "miou");
        out.gflops = csv.number(r, "gflops");
        for (size_t c = first_stat; c < row.size(); ++c) out.stats.push_back(num(row[c]));
        t.frames[s] = static_cast<int>(frames);
        t.intra[s] = csv.number(r, "intra_complexity");
        t.inter[s] = csv.number(r, "inter_complexity");
        t.probe26[s] = csv.number(r, "probe_bytes_qp26");
        t.probe38[s] = csv.number(r, "probe_bytes_qp38");
        seen[s][it->second] = true;
      }
      for (int64_t s = 0; s < segments; ++s)
        for (size_t a = 0; a < t.actions.size(); ++a)
          check<InputError>(seen[s][a], path, ": no row for segment ", s, " and action ", t.actions[a].name(),
                            " (an incomplete table; profile --resume finishes it)");
    });
    return t;
  });
}

double Estimators::predict_bytes(int qi, int si, double intra, double inter, double probe26, double probe38) const {
  const auto& c = rate[qi * scales.size() + si];
  return std::exp(c[0] + c[1] * std::log1p(intra) + c[2] * std::log1p(inter) + c[3] * std::log(std::max(1.0, probe26)) +
                  c[4] * std::log(std::max(1.0, probe38)));
}

std::vector<double> Estimators::predict_accuracy(const std::vector<double>& stats, int served) const {
  std::vector<double> x = accuracy_features(*this, stats, served), y(actions.size(), 0.0);
  for (size_t f = 0; f < x.size(); ++f)
    if (x[f] != 0)
      for (size_t a = 0; a < actions.size(); ++a) y[a] += x[f] * acc_w[f][a];
  for (double& v : y) v = std::clamp(v, 0.0, 1.0);  // mIoU; a linear fit can leave [0, 1] far from its data
  return y;
}

void Estimators::check_fits(const ProfileTable& t) const {
  check<InputError>(t.models == models && t.qps == qps && t.scales == scales && t.stat_names == stat_names, t.path,
                    ": its action grid (", t.models.size(), " models x ", t.qps.size(), " QPs x ", t.scales.size(),
                    " scales, ", t.stat_names.size(), " statistics) differs from the estimators' (", models.size(),
                    " x ", qps.size(), " x ", scales.size(), ", ", stat_names.size(),
                    "); train the estimators on tables of the same grid");
  check<InputError>(t.server_input == server_input, t.path, ": profiled with the server running on the ",
                    t.server_input, " frames, the estimators' tables on the ", server_input,
                    " frames (profile --server-input); their accuracies and costs do not compare");
}

namespace {
BitrateSamples table_samples(const ProfileTable& t, size_t outputs, bool with_targets) {
  // The profiled video, unchanged since: the CNN's inputs must be the frames the rows measured.
  const std::string mp = manifest_path_for(t.path);
  const std::string video = read_artefact(mp, [&] { return recorded_input(t.manifest, mp, "video"); });
  BitrateSamples s = VSSOFF_PLUGIN_CALL(vssoff::penance::bitrate_cnn_inputs)(
      video, t.segment_frames, static_cast<int64_t>(t.rows.size()), t.intra, t.inter, t.probe26, t.probe38);
  if (with_targets)
    for (const auto& seg : t.rows)
      for (size_t k = 0; k < outputs; ++k)
        s.log_bytes.push_back(static_cast<float>(std::log(std::max(1.0, seg[k].bytes))));
  return s;
}
}  // namespace

std::vector<std::vector<double>> Estimators::predict_table_bytes(const ProfileTable& t, bool cnn, int threads) const {
  const size_t K = qps.size() * scales.size();
  std::vector<std::vector<double>> out(t.rows.size(), std::vector<double>(K));
  if (cnn) {
    check<UsageError>(!cnn_weights.empty(), "these estimators have no bitrate CNN (trained with --no-cnn)");
    std::vector<double> p = VSSOFF_PLUGIN_CALL(vssoff::penance::predict_bitrate_cnn)(
        cnn_weights, table_samples(t, K, false), int(K), threads);
    for (size_t s = 0; s < t.rows.size(); ++s)
      for (size_t k = 0; k < K; ++k) out[s][k] = p[s * K + k];
  } else {
    for (size_t s = 0; s < t.rows.size(); ++s)
      for (size_t k = 0; k < K; ++k)
        out[s][k] = predict_bytes(int(k / scales.size()), int(k % scales.size()), t.intra[s], t.inter[s], t.probe26[s],
                                  t.probe38[s]);
  }
  return out;
}

std::pair<double, double> estimator_errors(const Estimators& e, const std::vector<ProfileTable>& tables) {
  std::vector<double> ape;
  double abs_err = 0;
  int64_t n = 0;
  for (const ProfileTable& t : tables) {
    for (size_t s = 0; s < t.rows.size(); ++s) {
      for (size_t qi = 0; qi < e.qps.size(); ++qi)
        for (size_t si = 0; si < e.scales.size(); ++si) {
          // bytes do not depend on the model: take the first model's row
          size_t a = qi * e.scales.size() + si;
          double truth = t.rows[s][a].bytes,
                 pred = e.predict_bytes(int(qi), int(si), t.intra[s], t.inter[s], t.probe26[s], t.probe38[s]);
          ape.push_back(std::abs(pred - truth) / truth);
        }
      if (s + 1 < t.rows.size())
        for (size_t a = 0; a < e.actions.size(); ++a) {
          std::vector<double> pred = e.predict_accuracy(t.rows[s][a].stats, static_cast<int>(a));
          for (size_t b = 0; b < e.actions.size(); ++b) abs_err += std::abs(pred[b] - t.rows[s + 1][b].accuracy), ++n;
        }
    }
  }
  std::sort(ape.begin(), ape.end());
  double mdape = ape.empty() ? NAN : ape[ape.size() / 2];
  return {mdape, n ? abs_err / n : NAN};
}

namespace {

// Least squares per (q, s) over all training segments: e->rate. Returns the segment count;
// InputError below 4.
int64_t fit_bitrate(const std::vector<ProfileTable>& train, Estimators* e) {
  int64_t segments = 0;
  for (const auto& t : train) segments += static_cast<int64_t>(t.rows.size());
  check<InputError>(segments >= 4, "only ", segments, " training segment(s): the bitrate fit needs at least 4");
  for (size_t qi = 0; qi < e->qps.size(); ++qi)
    for (size_t si = 0; si < e->scales.size(); ++si) {
      cv::Mat X(static_cast<int>(segments), 5, CV_64F), Y(static_cast<int>(segments), 1, CV_64F);
      int r = 0;
      for (const auto& t : train)
        for (size_t s = 0; s < t.rows.size(); ++s, ++r) {
          X.at<double>(r, 0) = 1;
          X.at<double>(r, 1) = std::log1p(t.intra[s]);
          X.at<double>(r, 2) = std::log1p(t.inter[s]);
          X.at<double>(r, 3) = std::log(std::max(1.0, t.probe26[s]));
          X.at<double>(r, 4) = std::log(std::max(1.0, t.probe38[s]));
          Y.at<double>(r, 0) = std::log(std::max(1.0, t.rows[s][qi * e->scales.size() + si].bytes));
        }
      cv::Mat w = ridge_solve(X, Y, 1e-6);
      e->rate.push_back({w.at<double>(0), w.at<double>(1), w.at<double>(2), w.at<double>(3), w.at<double>(4)});
    }
  return segments;
}

// The accuracy predictor's weights [features][actions] fitted on `tables` with e.acc_stats:
// ridge regression from (stats now, served action) to the accuracy of every action next.
// InputError when the tables have no consecutive segments.
std::vector<std::vector<double>> fit_accuracy(const Estimators& e, const std::vector<const ProfileTable*>& tables,
                                              double ridge) {
  const size_t A = e.actions.size(), F = accuracy_feature_count(e);
  int64_t pairs = 0;
  for (const auto* t : tables) pairs += static_cast<int64_t>((t->rows.size() - 1) * A);
  check<InputError>(pairs > 0, "the training tables have no consecutive segments to learn accuracy from");
  cv::Mat X(static_cast<int>(pairs), static_cast<int>(F), CV_64F),
      Y(static_cast<int>(pairs), static_cast<int>(A), CV_64F);
  int r = 0;
  for (const auto* t : tables)
    for (size_t s = 0; s + 1 < t->rows.size(); ++s)
      for (size_t a = 0; a < A; ++a, ++r) {
        std::vector<double> x = accuracy_features(e, t->rows[s][a].stats, static_cast<int>(a));
        for (size_t f = 0; f < F; ++f) X.at<double>(r, static_cast<int>(f)) = x[f];
        for (size_t b = 0; b < A; ++b) Y.at<double>(r, static_cast<int>(b)) = t->rows[s + 1][b].accuracy;
      }
  // Centre features and targets so that the ridge shrinks the slopes, not the mean accuracy
  // of each action (the intercept is then the training mean), and scale the features to unit
  // variance so that it shrinks them alike.
  cv::Mat x_mean, y_mean;
  cv::reduce(X, x_mean, 0, cv::REDUCE_AVG);
  cv::reduce(Y, y_mean, 0, cv::REDUCE_AVG);
  cv::Mat Xc = X - cv::repeat(x_mean, X.rows, 1), Yc = Y - cv::repeat(y_mean, Y.rows, 1);
  std::vector<double> x_sd(F, 1.0);
  for (size_t f = 0; f + 1 < F; ++f) {
    cv::Mat col = Xc.col(static_cast<int>(f));
    x_sd[f] = std::max(1e-9, std::sqrt(col.dot(col) / pairs));
    col /= x_sd[f];
  }
  cv::Mat W = ridge_solve(Xc, Yc, ridge * pairs);
  std::vector<std::vector<double>> w(F, std::vector<double>(A));
  for (size_t f = 0; f < F; ++f)
    for (size_t a = 0; a < A; ++a) w[f][a] = W.at<double>(static_cast<int>(f), static_cast<int>(a)) / x_sd[f];
  // Fold the centring into the constant feature's weights: y = y_mean + (x - x_mean) W.
  for (size_t a = 0; a < A; ++a) {
    double c = y_mean.at<double>(0, static_cast<int>(a));
    for (size_t f = 0; f + 1 < F; ++f) c -= x_mean.at<double>(0, static_cast<int>(f)) * w[f][a];
    w[F - 1][a] = c;
  }
  return w;
}

// Fits without table k, then calls visit(k) with e->acc_w set to that fit, for every k.
void leave_one_out(Estimators* e, const std::vector<ProfileTable>& train, double ridge,
                   const std::function<void(size_t)>& visit) {
  for (size_t k = 0; k < train.size(); ++k) {
    std::vector<const ProfileTable*> rest;
    for (size_t j = 0; j < train.size(); ++j)
      if (j != k) rest.push_back(&train[j]);
    e->acc_w = fit_accuracy(*e, rest, ridge);
    visit(k);
  }
}

// Mean over the training tables of the accuracy MAE on each table left out of the fit.
double leave_one_table_out_mae(Estimators* e, const std::vector<ProfileTable>& train, double ridge) {
  double err = 0;
  leave_one_out(e, train, ridge, [&](size_t k) { err += estimator_errors(*e, {train[k]}).second / train.size(); });
  return err;
}

// Sets *ridge to the candidate with the lowest leave-one-table-out error and returns that
// error; every candidate tried goes into *search under `stage`.
double choose_ridge(Estimators* e, const std::vector<ProfileTable>& train, const char* stage, double* ridge,
                    Json* search) {
  double best = INFINITY;
  for (double candidate : {0.0001, 0.001, 0.01, 0.1, 1.0}) {
    const double err = leave_one_table_out_mae(e, train, candidate);
    search->push_back({{"stage", stage}, {"ridge", candidate}, {"leave_one_table_out_mae", err}});
    if (err < best) best = err, *ridge = candidate;
  }
  return best;
}

// The accuracy predictor's statistics (e->acc_stats) and ridge strength (returned). The
// confidence summaries, then, one at a time, the statistic (a class's pixel share or
// confidence) that lowers the leave-one-table-out error most, while one does; the ridge,
// unless given (>= 0), is chosen by leaving one training table out before and after the
// selection. With one training table: the summaries, and ridge 1 unless given.
double select_accuracy_statistics(Estimators* e, const std::vector<ProfileTable>& train, double ridge, Json* selection,
                                  Json* ridge_search) {
  const bool choose = ridge < 0;
  if (choose && train.size() < 2) {
    ridge = 1;
    log_info("accuracy predictor: one training table, so ridge 1 and the confidence summaries (choosing needs two)");
  }
  for (size_t i = 0; i < e->stat_names.size(); ++i)
    if (e->stat_names[i].rfind("share_", 0) != 0 && e->stat_names[i].rfind("conf_", 0) != 0) e->acc_stats.push_back(i);
  if (e->acc_stats.empty())
    for (size_t i = 0; i < e->stat_names.size(); ++i) e->acc_stats.push_back(i);
  if (train.size() < 2) return ridge;
  double current =
      choose ? choose_ridge(e, train, "summaries", &ridge, ridge_search) : leave_one_table_out_mae(e, train, ridge);
  selection->push_back({{"statistics", "confidence summaries"}, {"leave_one_table_out_mae", current}});
  for (;;) {
    size_t best_stat = SIZE_MAX;
    double best = current - 1e-4;  // a real improvement, not noise in the last digits
    for (size_t c = 0; c < e->stat_names.size(); ++c) {
      if (std::find(e->acc_stats.begin(), e->acc_stats.end(), c) != e->acc_stats.end()) continue;
      e->acc_stats.push_back(c);
      const double err = leave_one_table_out_mae(e, train, ridge);
      e->acc_stats.pop_back();
      if (err < best) best = err, best_stat = c;
    }
    if (best_stat == SIZE_MAX) break;
    e->acc_stats.push_back(best_stat);
    current = best;
    selection->push_back({{"added", e->stat_names[best_stat]}, {"leave_one_table_out_mae", current}});
    log_info("accuracy predictor: + ", e->stat_names[best_stat], " (leave-one-table-out MAE ", current, ")");
  }
  if (choose) current = choose_ridge(e, train, "selected", &ridge, ridge_search);
  log_info("accuracy predictor: ", e->acc_stats.size(), " statistics, ridge ", ridge, " (leave-one-table-out MAE ",
           current, ")");
  return ridge;
}

// The final accuracy fit on all training tables (e->acc_w) and, per action: the spread of
// the prediction error on a table the fit did not see (in-sample with one table), of the
// truth's change from one segment to the next, and the mean accuracy.
void fit_accuracy_predictor(Estimators* e, const std::vector<ProfileTable>& train) {
  const size_t A = e->actions.size();
  std::vector<double> sq(A, 0.0), change_sq(A, 0.0);
  int64_t n = 0, changes = 0;
  auto add_errors = [&](const ProfileTable& t) {
    for (size_t s = 0; s + 1 < t.rows.size(); ++s)
      for (size_t a = 0; a < A; ++a, ++n) {
        std::vector<double> pred = e->predict_accuracy(t.rows[s][a].stats, static_cast<int>(a));
        for (size_t b = 0; b < A; ++b) sq[b] += std::pow(pred[b] - t.rows[s + 1][b].accuracy, 2);
      }
  };
  if (train.size() >= 2) leave_one_out(e, train, e->ridge, [&](size_t k) { add_errors(train[k]); });
  std::vector<const ProfileTable*> all;
  for (const auto& t : train) all.push_back(&t);
  e->acc_w = fit_accuracy(*e, all, e->ridge);
  if (train.size() < 2) add_errors(train[0]);
  for (const auto& t : train)
    for (size_t s = 0; s + 1 < t.rows.size(); ++s, ++changes)
      for (size_t b = 0; b < A; ++b) change_sq[b] += std::pow(t.rows[s + 1][b].accuracy - t.rows[s][b].accuracy, 2);
  e->mean_accuracy.assign(A, 0.0);
  int64_t segs = 0;
  for (const auto& t : train)
    for (size_t s = 0; s < t.rows.size(); ++s, ++segs)
      for (size_t b = 0; b < A; ++b) e->mean_accuracy[b] += t.rows[s][b].accuracy;
  for (double& v : e->mean_accuracy) v /= std::max<int64_t>(1, segs);
  e->acc_sd.resize(A);
  e->change_sd.resize(A);
  for (size_t b = 0; b < A; ++b) {
    e->acc_sd[b] = std::sqrt(sq[b] / std::max<int64_t>(1, n));
    e->change_sd[b] = std::sqrt(change_sq[b] / std::max<int64_t>(1, changes));
  }
}

// e->metrics: the analytic estimators' errors on the training tables and on the held-out ones.
void measure_errors(Estimators* e, const std::vector<ProfileTable>& train, const std::vector<ProfileTable>& held,
                    int64_t train_segments) {
  auto [train_mdape, train_mae] = estimator_errors(*e, train);
  e->metrics = {{"train", {{"bitrate_mdape", train_mdape}, {"accuracy_mae", train_mae}, {"segments", train_segments}}}};
  if (!held.empty()) {
    auto [mdape, mae] = estimator_errors(*e, held);
    int64_t hs = 0;
    for (const auto& t : held) hs += static_cast<int64_t>(t.rows.size());
    e->metrics["holdout"] = {{"bitrate_mdape", mdape}, {"accuracy_mae", mae}, {"segments", hs}};
  }
}

// Trains the bitrate CNN (bitrate_cnn.h) into OUTPUT-stem.bitrate.pt beside the output
// (e->cnn_weights) and adds its errors to e->metrics.
void train_cnn(Estimators* e, const std::vector<ProfileTable>& train, const std::vector<ProfileTable>& held,
               const TrainEstimatorsOptions& opt) {
  const size_t K = e->qps.size() * e->scales.size();
  BitrateSamples tr, ho;
  auto append = [&](BitrateSamples& into, const BitrateSamples& add) {
    into.images.insert(into.images.end(), add.images.begin(), add.images.end());
    into.features.insert(into.features.end(), add.features.begin(), add.features.end());
    into.log_bytes.insert(into.log_bytes.end(), add.log_bytes.begin(), add.log_bytes.end());
    into.n += add.n;
  };
  for (const auto& t : train) append(tr, table_samples(t, K, true));
  for (const auto& t : held) append(ho, table_samples(t, K, true));
  e->cnn_weights =
      (fs::path(opt.output).parent_path() / (fs::path(opt.output).stem().string() + ".bitrate.pt")).string();
  BitrateCnnResult r =
      VSSOFF_PLUGIN_CALL(vssoff::penance::train_bitrate_cnn)(tr, ho, int(K), e->cnn_weights, 1, opt.threads);
  e->metrics["train"]["bitrate_cnn_mdape"] = r.train_mdape;
  if (!held.empty()) e->metrics["holdout"]["bitrate_cnn_mdape"] = r.holdout_mdape;
}

// The estimators' artefact (estimators.h): the fits, how they were chosen, the metrics.
Json estimators_manifest(const Estimators& e, const TrainEstimatorsOptions& opt, const Json& selection,
                         const Json& ridge_search, int segment_frames) {
  Json m = new_manifest("penance-estimators", kEstimatorsVersion);
  std::vector<std::string> chosen;
  for (size_t i : e.acc_stats) chosen.push_back(e.stat_names[i]);
  m["params"] = {{"models", e.models},
                 {"qps", e.qps},
                 {"scales", e.scales},
                 {"stat_names", e.stat_names},
                 {"server_input", e.server_input},
                 {"accuracy_statistics", chosen},
                 {"statistic_selection", selection},
                 {"ridge", e.ridge},
                 {"ridge_search", ridge_search},
                 {"segment_frames", segment_frames}};
  Json rate = Json::array();
  for (const auto& c : e.rate) rate.push_back({c[0], c[1], c[2], c[3], c[4]});
  m["bitrate"] = {{"form",
                   "log(bytes) = a + b log(1 + intra) + c log(1 + inter) + d log(probe26) + e log(probe38), "
                   "per (qp, scale), qp-major"},
                  {"coefficients", rate}};
  m["accuracy"] = {{"form",
                    "ridge: [accuracy_statistics x one-hot(served model), one-hot(served action), 1] -> "
                    "accuracy of every action next segment"},
                   {"weights", e.acc_w},
                   {"error_sd", e.acc_sd},
                   {"error_sd_form", "per action: RMS error of the prediction on training tables left out of the fit"},
                   {"mean", e.mean_accuracy},
                   {"mean_form",
                    "per action: mean accuracy over the training segments (the offline profile "
                    "that ranks a model's QP and scale by quality)"},
                   {"change_sd", e.change_sd},
                   {"change_sd_form", "per action: RMS change of the true accuracy from one segment to the next"}};
  m["metrics"] = e.metrics;
  if (!e.cnn_weights.empty()) {
    m["bitrate_cnn"] = {
        {"inputs", "first frame luma and mean |frame difference| at 64x36, log(1 + intra), log(1 + inter)"},
        {"outputs", "log bytes per (qp, scale), qp-major"}};
    add_sidecar(m, "bitrate_cnn", opt.output, e.cnn_weights);
  }
  for (const auto& p : opt.tables) add_input(m, "train", p);
  for (const auto& p : opt.holdout) add_input(m, "holdout", p);
  return m;
}

}  // namespace

Estimators train_estimators(const TrainEstimatorsOptions& opt) {
  check<UsageError>(!opt.tables.empty(), "give at least one training table");
  check<UsageError>(fs::path(opt.output).extension() == ".json", "output must end in .json (got ", opt.output, ")");
  check<UsageError>(opt.ridge >= 0 || opt.ridge == -1, "ridge must be >= 0, or -1 to choose it (got ", opt.ridge, ")");
  check_output_path(opt.output, opt.force);
  std::vector<ProfileTable> train, held;
  for (const auto& p : opt.tables) train.push_back(read_profile_table(p));
  for (const auto& p : opt.holdout) held.push_back(read_profile_table(p));
  Estimators e;
  e.models = train[0].models;
  e.qps = train[0].qps;
  e.scales = train[0].scales;
  e.actions = train[0].actions;
  e.stat_names = train[0].stat_names;
  e.server_input = train[0].server_input;
  for (const auto& t : train) e.check_fits(t);
  for (const auto& t : held) e.check_fits(t);

  const int64_t segments = fit_bitrate(train, &e);
  Json selection = Json::array(), ridge_search = Json::array();
  e.ridge = select_accuracy_statistics(&e, train, opt.ridge, &selection, &ridge_search);
  fit_accuracy_predictor(&e, train);
  measure_errors(&e, train, held, segments);
  if (opt.cnn) train_cnn(&e, train, held, opt);
  write_manifest(opt.output, estimators_manifest(e, opt, selection, ridge_search, train[0].segment_frames), opt.force);
  return e;
}

Estimators read_estimators(const std::string& path) {
  check_input_file(path, "estimators");
  return read_artefact(path, [&] {
    Json m = read_manifest(path, "penance-estimators", kEstimatorsVersion);
    // Version 1 had other accuracy features and no error spreads: nothing maps it onto these.
    check<InputError>(m.value("version", 0) >= 2, path, ": estimators of version ", m.value("version", 0),
                      ", which this vssoff no longer reads (it reads versions 2 to ", kEstimatorsVersion,
                      "); train them again with train-estimators");
    Estimators e;
    const Json& p = m.at("params");
    e.models = p.at("models").get<std::vector<std::string>>();
    e.qps = json_array_as<int>(p.at("qps"), "\"qps\"", path);
    e.scales = p.at("scales").get<std::vector<double>>();
    e.stat_names = p.at("stat_names").get<std::vector<std::string>>();
    e.server_input = p.value("server_input", std::string("original"));  // estimators before table version 2
    for (const auto& name : p.at("accuracy_statistics").get<std::vector<std::string>>()) {
      auto it = std::find(e.stat_names.begin(), e.stat_names.end(), name);
      check<InputError>(it != e.stat_names.end(), path, ": the accuracy predictor uses \"", name,
                        "\", which is not among its statistics (a damaged file?)");
      e.acc_stats.push_back(static_cast<size_t>(it - e.stat_names.begin()));
    }
    e.ridge = p.at("ridge").get<double>();
    for (const auto& mm : e.models)
      for (int q : e.qps)
        for (double s : e.scales) e.actions.push_back({mm, q, s});
    for (const Json& c : m.at("bitrate").at("coefficients"))
      e.rate.push_back({c.at(0), c.at(1), c.at(2), c.at(3), c.at(4)});
    e.acc_w = m.at("accuracy").at("weights").get<std::vector<std::vector<double>>>();
    e.acc_sd = m.at("accuracy").at("error_sd").get<std::vector<double>>();
    e.change_sd = m.at("accuracy").at("change_sd").get<std::vector<double>>();
    if (m.at("accuracy").contains("mean"))  // version 3
      e.mean_accuracy = m.at("accuracy").at("mean").get<std::vector<double>>();
    check<InputError>(e.rate.size() == e.qps.size() * e.scales.size() && e.acc_w.size() == accuracy_feature_count(e) &&
                          e.acc_sd.size() == e.actions.size() && e.change_sd.size() == e.actions.size() &&
                          (e.mean_accuracy.empty() || e.mean_accuracy.size() == e.actions.size()),
                      path, ": coefficient counts do not match its grid (a damaged file?)");
    e.metrics = m.value("metrics", Json::object());
    if (m.contains("sidecars") && m["sidecars"].contains("bitrate_cnn"))
      e.cnn_weights = sidecar_path(m, path, "bitrate_cnn");
    return e;
  });
}

}  // namespace vssoff::penance
