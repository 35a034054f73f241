#include "metrics/calibration.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "core/error.h"
#include "core/fs.h"
#include "core/npy.h"
#include "metrics/evaluate_segmentation.h"
#include "video/chart.h"
#include "video/picture.h"

namespace fs = std::filesystem;

namespace vssoff::metrics {
namespace {

double bins_error(const std::vector<ReliabilityBin>& bins, int64_t n, double* mce) {
  double ece = 0;
  for (const ReliabilityBin& b : bins) {
    if (b.count == 0) continue;
    const double gap = std::abs(b.mean_outcome - b.mean_confidence);
    ece += double(b.count) / double(n) * gap;
    if (mce) *mce = std::max(*mce, gap);
  }
  return ece;
}

void finish_bin(ReliabilityBin& b, double sum_conf, double sum_out) {
  if (b.count > 0) b.mean_confidence = sum_conf / b.count, b.mean_outcome = sum_out / b.count;
}

}  // namespace

Json Reliability::to_json() const {
  auto bins_json = [](const std::vector<ReliabilityBin>& bins) {
    Json a = Json::array();
    for (const ReliabilityBin& b : bins)
      a.push_back({{"lo", b.lo},
                   {"hi", b.hi},
                   {"count", b.count},
                   {"mean_confidence", b.mean_confidence},
                   {"mean_outcome", b.mean_outcome}});
    return a;
  };
  return {{"samples", samples},
          {"mean_confidence", mean_confidence},
          {"mean_outcome", mean_outcome},
          {"ece", ece},
          {"ece_equal_mass", ece_mass},
          {"mce", mce},
          {"bins", bins_json(width_bins)},
          {"equal_mass_bins", bins_json(mass_bins)}};
}

Reliability reliability(const std::vector<double>& conf, const std::vector<double>& outcome, const std::string& what,
                        int bins) {
  check<InputError>(conf.size() == outcome.size(), what, ": ", conf.size(), " confidences but ", outcome.size(),
                    " outcomes");
  check<InputError>(!conf.empty(), what, ": no samples");
  check<RuntimeError>(bins >= 1, "reliability: bins must be >= 1");
  const int64_t n = static_cast<int64_t>(conf.size());
  for (int64_t i = 0; i < n; ++i) {
    check<InputError>(conf[i] >= 0 && conf[i] <= 1, what, ": confidence of sample ", i, " is ", conf[i],
                      ", not in [0, 1]");
    check<InputError>(std::isfinite(outcome[i]), what, ": outcome of sample ", i, " is ", outcome[i]);
  }
  Reliability r;
  r.samples = n;
  r.mean_confidence = std::accumulate(conf.begin(), conf.end(), 0.0) / n;
  r.mean_outcome = std::accumulate(outcome.begin(), outcome.end(), 0.0) / n;

  r.width_bins.resize(bins);
  std::vector<double> sc(bins, 0.0), so(bins, 0.0);
  for (int b = 0; b < bins; ++b) r.width_bins[b].lo = double(b) / bins, r.width_bins[b].hi = double(b + 1) / bins;
  for (int64_t i = 0; i < n; ++i) {
    const int b = std::min(bins - 1, static_cast<int>(conf[i] * bins));
    ++r.width_bins[b].count, sc[b] += conf[i], so[b] += outcome[i];
  }
  for (int b = 0; b < bins; ++b) finish_bin(r.width_bins[b], sc[b], so[b]);
  r.ece = bins_error(r.width_bins, n, &r.mce);

  // Equal mass: cut the sorted confidences every n / bins samples, never between equal ones.
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return conf[a] < conf[b]; });
  int64_t start = 0;
  for (int b = 0; b < bins && start < n; ++b) {
    int64_t end = b == bins - 1 ? n : std::max(start + 1, (b + 1) * n / bins);
    while (end < n && conf[order[end]] == conf[order[end - 1]]) ++end;
    ReliabilityBin bin;
    double sum_c = 0, sum_o = 0;
    for (int64_t k = start; k < end; ++k) sum_c += conf[order[k]], sum_o += outcome[order[k]];
    bin.lo = conf[order[start]], bin.hi = conf[order[end - 1]], bin.count = end - start;
    finish_bin(bin, sum_c, sum_o);
    r.mass_bins.push_back(bin);
    start = end;
  }
  r.ece_mass = bins_error(r.mass_bins, n, nullptr);
  return r;
}

ProperScores proper_scores(const std::vector<float>& probs, const std::vector<int>& labels, int C) {
  const int64_t n = static_cast<int64_t>(labels.size());
  check<RuntimeError>(C >= 1 && probs.size() == size_t(n) * C && n > 0, "proper_scores: bad sizes");
  ProperScores s;
  for (int64_t i = 0; i < n; ++i) {
    const float* p = probs.data() + i * C;
    const int y = labels[i];
    s.nll -= std::log(std::max(1e-12, double(p[y])));
    int arg = 0;
    for (int c = 0; c < C; ++c) {
      const double d = p[c] - (c == y ? 1.0 : 0.0);
      s.brier += d * d;
      if (p[c] > p[arg]) arg = c;
    }
    s.accuracy += arg == y;
  }
  s.nll /= n, s.brier /= n, s.accuracy /= n;
  return s;
}

void write_reliability_diagram(const std::string& path, const std::string& title, const Reliability& r, bool force) {
  video::ChartSeries diagonal{"perfect calibration", {0, 1}, {0, 1}, {150, 150, 150}};
  video::ChartSeries outcome{"accuracy per bin", {}, {}, {214, 39, 40}};
  video::ChartSeries confidence{"mean confidence per bin", {}, {}, {31, 119, 180}};
  video::ChartSeries counts{"samples per bin", {}, {}, {44, 160, 44}};
  outcome.points = confidence.points = true;
  counts.step = true;
  for (const ReliabilityBin& b : r.width_bins) {
    const double mid = (b.lo + b.hi) / 2;
    outcome.x.push_back(mid), outcome.y.push_back(b.count ? b.mean_outcome : NAN);
    confidence.x.push_back(mid), confidence.y.push_back(b.count ? b.mean_confidence : NAN);
    counts.x.push_back(b.lo), counts.y.push_back(double(b.count));
  }
  if (!r.width_bins.empty()) counts.x.push_back(r.width_bins.back().hi), counts.y.push_back(counts.y.back());
  char stats[160];
  std::snprintf(stats, sizeof stats, ": ECE %.4f, equal-mass %.4f, MCE %.3f, n %lld", r.ece, r.ece_mass, r.mce,
                static_cast<long long>(r.samples));
  video::ChartPanel top{"accuracy", {diagonal, confidence, outcome}, 0, 1};
  video::ChartPanel bottom{"samples", {counts}};
  video::write_chart(path, title + stats, "confidence", {top, bottom}, force);
}

void top_label(const std::vector<float>& probs, const std::vector<float>& decide, int C, const std::vector<int>& labels,
               std::vector<double>* conf, std::vector<double>* correct) {
  const size_t n = labels.size();
  conf->resize(n), correct->resize(n);
  for (size_t i = 0; i < n; ++i) {
    const float* z = decide.data() + i * C;
    const int arg = static_cast<int>(std::max_element(z, z + C) - z);
    (*conf)[i] = std::clamp<double>(probs[i * C + arg], 0, 1), (*correct)[i] = arg == labels[i];
  }
}

std::vector<float> softmax_rows(const std::vector<float>& logits, int C, const std::vector<double>& inv_t) {
  std::vector<float> p(logits.size());
  const size_t n = logits.size() / C;
  std::vector<double> z(C);
  for (size_t i = 0; i < n; ++i) {
    const float* l = logits.data() + i * C;
    double m = -INFINITY, sum = 0;
    for (int c = 0; c < C; ++c) {
      z[c] = l[c] * (inv_t.empty() ? 1.0 : inv_t[inv_t.size() == 1 ? 0 : c]);
      m = std::max(m, z[c]);
    }
    for (int c = 0; c < C; ++c) sum += (z[c] = std::exp(z[c] - m));
    for (int c = 0; c < C; ++c) p[i * C + c] = static_cast<float>(z[c] / sum);
  }
  return p;
}

LabelledLogits read_labelled_logits(const std::string& logits_path, const std::string& labels_path) {
  LabelledLogits out;
  std::error_code ec;
  if (fs::is_directory(logits_path, ec)) {
    // A segment run and a reference label set.
    const std::string manifest = (fs::path(logits_path) / "manifest.json").string();
    check<InputError>(fs::exists(manifest, ec), logits_path, ": not a segment output (no manifest.json)");
    std::string lpath, spath;
    read_artefact(manifest, [&] {
      Json m = read_manifest(manifest, "segmentation", 1);
      check<InputError>(m.contains("sidecars") && m["sidecars"].contains("logits"), logits_path,
                        ": has no logits samples; run segment with --logit-samples N");
      lpath = sidecar_path(m, manifest, "logits");
      spath = sidecar_path(m, manifest, "samples");
    });
    NpyArray logits = read_npy(lpath), samples = read_npy(spath);
    check<InputError>(logits.shape.size() == 2 && logits.shape[1] >= 2, lpath, ": logits of shape ",
                      logits.shape_string(), ", expected [n, C]");
    check<InputError>(samples.shape.size() == 2 && samples.shape[1] == 3 && samples.shape[0] == logits.shape[0], spath,
                      ": positions of shape ", samples.shape_string(), ", expected [", logits.shape[0], ", 3]");
    const int C = static_cast<int>(logits.shape[1]);
    const std::vector<double> l = logits.to_double(), s = samples.to_double();
    const LabelSet ref = open_label_set(labels_path);
    int64_t frame = -1;
    video::Frame map;
    out.classes = C;
    for (int64_t i = 0; i < logits.shape[0]; ++i) {
      const int64_t f = static_cast<int64_t>(s[i * 3]), y = static_cast<int64_t>(s[i * 3 + 1]),
                    x = static_cast<int64_t>(s[i * 3 + 2]);
      if (f != frame) {
        auto it = ref.files.find(f);
        check<InputError>(it != ref.files.end(), labels_path, ": no reference labels for frame ", f, " (sampled in ",
                          logits_path, ")");
        map = video::read_image(it->second, video::PixelFormat::kGray8);
        frame = f;
      }
      check<InputError>(y >= 0 && y < map.height && x >= 0 && x < map.width, spath, ": sample ", i, " at (", y, ", ", x,
                        ") is outside the ", map.width, "x", map.height, " reference of frame ", f);
      const int label = map.plane(0)[y * map.stride(0) + x];
      if (label == kIgnoreLabel) continue;
      check<InputError>(label < C, labels_path, ": frame ", f, " has label ", label, " at (", y, ", ", x,
                        "), outside the model's ", C, " classes");
      for (int c = 0; c < C; ++c) out.logits.push_back(static_cast<float>(l[i * C + c]));
      out.labels.push_back(label);
      out.frames.push_back(f);
    }
  } else {
    NpyArray logits = read_npy(logits_path), labels = read_npy(labels_path);
    check<InputError>(logits.shape.size() == 2 && logits.shape[1] >= 2, logits_path, ": logits of shape ",
                      logits.shape_string(), ", expected [N, C] with C >= 2");
    check<InputError>(labels.shape.size() == 1, labels_path, ": labels of shape ", labels.shape_string(),
                      ", expected [N]");
    check<InputError>(labels.shape[0] == logits.shape[0], logits_path, " has ", logits.shape[0], " rows but ",
                      labels_path, " has ", labels.shape[0], " labels");
    check<InputError>(labels.dtype != DType::kF32 && labels.dtype != DType::kF64, labels_path,
                      ": labels must be integers (dtype ", dtype_name(labels.dtype), ")");
    const int C = out.classes = static_cast<int>(logits.shape[1]);
    const std::vector<double> l = logits.to_double(), y = labels.to_double();
    out.logits.assign(l.begin(), l.end());
    for (size_t i = 0; i < y.size(); ++i) {
      check<InputError>(y[i] >= 0 && y[i] < C, labels_path, ": label ", y[i], " of sample ", i, " is outside [0, ", C,
                        ")");
      out.labels.push_back(static_cast<int>(y[i]));
    }
  }
  check<InputError>(!out.labels.empty(), logits_path, ": no labelled samples");
  for (size_t i = 0; i < out.logits.size(); ++i)
    check<InputError>(std::isfinite(out.logits[i]), logits_path, ": logit ", i % out.classes, " of sample ",
                      i / out.classes, " is ", out.logits[i]);
  return out;
}

}  // namespace vssoff::metrics
