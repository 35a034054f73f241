// Hand-made profile tables (the CSV and manifest profile writes) for the penance tests, with
// known answers: log(bytes) is exactly the estimators' analytic form with kRate's coefficients,
// and the accuracy of every action on segment s + 1 is base + 0.5 * mean_max_prob of segment s.
#pragma once

#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/csv.h"
#include "core/manifest.h"
#include "penance/estimators.h"
#include "penance/profile.h"
#include "penance/table.h"

namespace vssoff::penance::test {

struct HandTable {
  std::vector<std::string> models = {"m0", "m1"};
  std::vector<int> qps = {26, 38};
  std::vector<double> scales = {1.0, 0.5};
  int64_t segments = 6;
  int segment_frames = 10;
  uint64_t seed = 1;              // the table's segment features
  int version = kProfileVersion;  // 1: no params.server_input
  std::string server_input = "sent";
  int shard_index = 0, shard_count = 1;  // rows of segments with index % count == shard_index
  double ms_per_frame = 2;
  std::string video;  // any existing file (its hash goes into the manifest)
};

// bytes = exp(a + b log(1 + intra) + c log(1 + inter) + d log(probe26) + e log(probe38)), per (q, s).
inline std::array<double, 5> hand_rate(size_t qi, size_t si) {
  return {1.0 - 0.3 * qi - 0.2 * si, 0.5, 0.3 + 0.1 * si, 0.4, 0.4 - 0.1 * qi};
}
inline double hand_base_accuracy(size_t action) { return 0.2 + 0.05 * action; }

inline void write_hand_table(const HandTable& h, const std::string& csv_path) {
  std::mt19937_64 rng(h.seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> intra, inter, p26, p38, conf;
  for (int64_t s = 0; s < h.segments; ++s) {
    intra.push_back(5 + 20 * u(rng));
    inter.push_back(1 + 8 * u(rng));
    p26.push_back(2000 + 6000 * u(rng));
    p38.push_back(300 + 900 * u(rng));
    conf.push_back(0.4 + 0.5 * u(rng));
  }
  std::vector<std::string> header = {"segment",
                                     "first_frame",
                                     "frames",
                                     "model",
                                     "qp",
                                     "scale",
                                     "width",
                                     "height",
                                     "bytes",
                                     "kbps",
                                     "miou",
                                     "pixel_accuracy",
                                     "gflops",
                                     "intra_complexity",
                                     "inter_complexity",
                                     "probe_bytes_qp26",
                                     "probe_bytes_qp38",
                                     "mean_max_prob",
                                     "mean_norm_entropy",
                                     "mean_margin",
                                     "frac_maxprob_below_0.5",
                                     "frac_maxprob_below_0.7",
                                     "frac_maxprob_below_0.9",
                                     "share_0",
                                     "share_1",
                                     "conf_0",
                                     "conf_1"};
  std::vector<std::vector<std::string>> rows;
  for (int64_t s = 0; s < h.segments; ++s) {
    if (s % h.shard_count != h.shard_index) continue;
    size_t a = 0;
    for (size_t mi = 0; mi < h.models.size(); ++mi)
      for (size_t qi = 0; qi < h.qps.size(); ++qi)
        for (size_t si = 0; si < h.scales.size(); ++si, ++a) {
          auto c = hand_rate(qi, si);
          double bytes = std::round(std::exp(c[0] + c[1] * std::log1p(intra[s]) + c[2] * std::log1p(inter[s]) +
                                             c[3] * std::log(p26[s]) + c[4] * std::log(p38[s])));
          double acc = hand_base_accuracy(a) + 0.5 * (s == 0 ? 0.6 : conf[s - 1]);
          // Statistics: mean_max_prob carries the signal; the others are noise (drawn per
          // segment and action, so that shards hold the rows of the whole table).
          std::mt19937_64 rng(h.seed * 1000003 + s * 101 + a);
          std::vector<double> stats = {conf[s], u(rng), u(rng), u(rng), u(rng), u(rng), 0.5, 0.5, u(rng), u(rng)};
          std::vector<std::string> r = {std::to_string(s),
                                        std::to_string(s * h.segment_frames),
                                        std::to_string(h.segment_frames),
                                        h.models[mi],
                                        std::to_string(h.qps[qi]),
                                        csv_number(h.scales[si]),
                                        std::to_string(int(64 * h.scales[si])),
                                        std::to_string(int(36 * h.scales[si])),
                                        csv_number(bytes),
                                        csv_number(bytes * 8 / 1000 * 30 / h.segment_frames),
                                        csv_number(acc),
                                        csv_number(acc),
                                        csv_number((mi + 1) * h.scales[si] * h.scales[si]),
                                        csv_number(intra[s]),
                                        csv_number(inter[s]),
                                        csv_number(p26[s]),
                                        csv_number(p38[s])};
          for (double v : stats) r.push_back(csv_number(v));
          rows.push_back(r);
        }
  }
  write_rows(csv_path, header, rows);
  const std::string mp = manifest_path_for(csv_path);
  Json m = new_manifest("profile", h.version);
  Json models = Json::array();
  for (size_t mi = 0; mi < h.models.size(); ++mi)
    models.push_back({{"name", h.models[mi]},
                      {"card", h.models[mi] + ".json"},
                      {"gflops", mi + 1.0},
                      {"weights_sha256", "0"},
                      {"ms_per_frame", h.ms_per_frame},
                      {"ms_per_frame_by_scale", Json::array({h.ms_per_frame, h.ms_per_frame / 2})}});
  m["params"] = {{"models", models},
                 {"qps", h.qps},
                 {"scales", h.scales},
                 {"segment_frames", h.segment_frames},
                 {"acc_frames", 0},
                 {"reference", "model:" + h.models.back()},
                 {"preset", "veryfast"},
                 {"width", 64},
                 {"height", 36},
                 {"fps", 30.0},
                 {"frame_count", h.segments * h.segment_frames},
                 {"segments", h.segments},
                 {"classes", 2}};
  if (h.version >= 2) m["params"]["server_input"] = h.server_input;
  std::vector<int64_t> mine;
  for (int64_t s = h.shard_index; s < h.segments; s += h.shard_count) mine.push_back(s);
  m["shard"] = {{"index", h.shard_index}, {"count", h.shard_count}, {"segments", mine}};
  add_input(m, "video", h.video);
  add_sidecar(m, "table", mp, csv_path);
  write_manifest(mp, m, true);
}

inline void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace vssoff::penance::test
