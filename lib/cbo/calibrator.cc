#include "cbo/calibrator.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include "cbo/offload_profile.h"
#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "nn/model_card.h"

namespace fs = std::filesystem;

namespace vssoff::cbo {
namespace {

constexpr int kHistogramBins = 15;

// Mean NLL of rows of logits scaled by a (one value, or one per class).
double nll(const metrics::LabelledLogits& d, const std::vector<double>& a) {
  const int C = d.classes;
  double total = 0;
  for (int64_t i = 0; i < d.size(); ++i) {
    const float* z = d.logits.data() + i * C;
    double m = -INFINITY;
    for (int c = 0; c < C; ++c) m = std::max(m, z[c] * a[a.size() == 1 ? 0 : c]);
    double sum = 0;
    for (int c = 0; c < C; ++c) sum += std::exp(z[c] * a[a.size() == 1 ? 0 : c] - m);
    total += std::log(sum) + m - z[d.labels[i]] * a[a.size() == 1 ? 0 : d.labels[i]];
  }
  return total / d.size();
}

// The inverse temperature minimising the NLL: golden-section search on log T in [0.05, 20].
double fit_temperature(const metrics::LabelledLogits& d) {
  const double g = (std::sqrt(5.0) - 1) / 2;
  double lo = std::log(0.05), hi = std::log(20.0);
  auto f = [&](double log_t) { return nll(d, {std::exp(-log_t)}); };
  double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo), f1 = f(x1), f2 = f(x2);
  while (hi - lo > 1e-4) {
    if (f1 < f2)
      hi = x2, x2 = x1, f2 = f1, x1 = hi - g * (hi - lo), f1 = f(x1);
    else
      lo = x1, x1 = x2, f1 = f2, x2 = lo + g * (hi - lo), f2 = f(x2);
  }
  return std::exp(-(lo + hi) / 2);
}

// Per-class inverse temperatures: Newton steps with the diagonal of the Hessian and
// backtracking, from the single temperature (the NLL is convex in them).
std::vector<double> fit_class_temperature(const metrics::LabelledLogits& d, double start) {
  const int C = d.classes;
  std::vector<double> a(C, start), grad(C), hess(C), p(C);
  double f = nll(d, a);
  for (int it = 0; it < 40; ++it) {
    std::fill(grad.begin(), grad.end(), 0.0);
    std::fill(hess.begin(), hess.end(), 0.0);
    for (int64_t i = 0; i < d.size(); ++i) {
      const float* z = d.logits.data() + i * C;
      double m = -INFINITY, sum = 0;
      for (int c = 0; c < C; ++c) m = std::max(m, z[c] * a[c]);
      for (int c = 0; c < C; ++c) sum += (p[c] = std::exp(z[c] * a[c] - m));
      for (int c = 0; c < C; ++c) {
        p[c] /= sum;
        grad[c] += (p[c] - (c == d.labels[i])) * z[c];
        hess[c] += z[c] * z[c] * p[c] * (1 - p[c]);
      }
    }
    std::vector<double> step(C);
    for (int c = 0; c < C; ++c) step[c] = grad[c] / std::max(hess[c], 1e-9 * d.size());
    double t = 1, f_new = f;
    std::vector<double> next(C);
    for (; t > 1e-4; t /= 2) {
      for (int c = 0; c < C; ++c) next[c] = std::clamp(a[c] - t * step[c], 0.05, 20.0);
      if ((f_new = nll(d, next)) < f) break;
    }
    if (t <= 1e-4 || f - f_new < 1e-7) {
      if (f_new < f) a = next;
      break;
    }
    a = next, f = f_new;
  }
  return a;
}

Json isotonic_json(const Isotonic& f) { return {{"x", f.x}, {"y", f.y}}; }
Isotonic isotonic_from(const Json& j, const std::string& path) {
  Isotonic f{json_array_as<double>(j.at("x"), "isotonic x", path),
             json_array_as<double>(j.at("y"), "isotonic y", path)};
  check<InputError>(!f.x.empty() && f.x.size() == f.y.size(), path, ": isotonic map needs as many x as y (got ",
                    f.x.size(), " and ", f.y.size(), ")");
  for (size_t k = 1; k < f.x.size(); ++k)
    check<InputError>(f.x[k] > f.x[k - 1] && f.y[k] >= f.y[k - 1], path, ": isotonic map is not increasing at ", k);
  return f;
}

std::pair<std::string, std::string> split_pair(const std::string& item) {
  const size_t colon = item.rfind(':');
  check<UsageError>(colon != std::string::npos && colon > 0 && colon + 1 < item.size(), "\"", item,
                    "\" is not DATA:LABELS (a segment output and its reference labels, or logits.npy:labels.npy)");
  return {item.substr(0, colon), item.substr(colon + 1)};
}

// Identity of the model a segment run used: its card's name and the weights' SHA-256.
void run_model(const std::string& dir, std::string* name, std::string* sha) {
  const std::string manifest = (fs::path(dir) / "manifest.json").string();
  read_artefact(manifest, [&] {
    Json m = read_manifest(manifest, "segmentation", 1);
    *name = m.at("model").at("name").get<std::string>();
    for (const Json& in : m.at("inputs"))
      if (in.at("role") == "model") *sha = in.at("sha256").get<std::string>();
  });
}

metrics::LabelledLogits concat(const std::vector<std::string>& items, std::string* name, std::string* sha,
                               const std::string& what) {
  metrics::LabelledLogits all;
  for (const std::string& item : items) {
    auto [data, labels] = split_pair(item);
    metrics::LabelledLogits d = metrics::read_labelled_logits(data, labels);
    check<InputError>(all.classes == 0 || d.classes == all.classes, data, ": ", d.classes, " classes, but ", items[0],
                      " has ", all.classes);
    if (fs::is_directory(data)) {
      std::string n, s;
      run_model(data, &n, &s);
      check<InputError>(name->empty() || (n == *name && s == *sha), data, ": a run of model \"", n, "\", but ", what,
                        " data so far came from \"", *name, "\"");
      *name = n, *sha = s;
    }
    all.classes = d.classes;
    all.logits.insert(all.logits.end(), d.logits.begin(), d.logits.end());
    all.labels.insert(all.labels.end(), d.labels.begin(), d.labels.end());
  }
  return all;
}

metrics::LabelledLogits subsample(const metrics::LabelledLogits& d, int64_t max, uint64_t seed) {
  if (d.size() <= max) return d;
  std::vector<int64_t> idx(d.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(idx.begin(), idx.end(), rng);
  idx.resize(max);
  std::sort(idx.begin(), idx.end());
  metrics::LabelledLogits s;
  s.classes = d.classes;
  for (int64_t i : idx) {
    s.logits.insert(s.logits.end(), d.logits.begin() + i * d.classes, d.logits.begin() + (i + 1) * d.classes);
    s.labels.push_back(d.labels[i]);
  }
  return s;
}

Json metrics_json(const metrics::Reliability& r, const metrics::ProperScores* s) {
  Json j = {{"ece", r.ece},
            {"ece_equal_mass", r.ece_mass},
            {"mce", r.mce},
            {"mean_confidence", r.mean_confidence},
            {"accuracy", r.mean_outcome},
            {"samples", r.samples}};
  if (s) j["nll"] = s->nll, j["brier"] = s->brier;
  j["reliability"] = r.to_json();
  return j;
}

std::string slug(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
  return s;
}

}  // namespace

double Isotonic::operator()(double v) const {
  if (x.empty()) return v;
  if (v <= x.front()) return y.front();
  if (v >= x.back()) return y.back();
  const size_t k = std::upper_bound(x.begin(), x.end(), v) - x.begin();
  const double f = (v - x[k - 1]) / (x[k] - x[k - 1]);
  return y[k - 1] + f * (y[k] - y[k - 1]);
}

Isotonic fit_isotonic(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& w,
                      const std::string& what) {
  check<InputError>(x.size() == y.size() && (w.empty() || w.size() == x.size()), what, ": ", x.size(), " x but ",
                    y.size(), " y");
  check<InputError>(!x.empty(), what, ": no points to fit");
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  // Equal x pooled first (weighted mean y), as scikit-learn does; then blocks of (weighted
  // mean y, weight) with adjacent violators pooled.
  std::vector<double> ux, uy, uw;
  for (size_t k : order) {
    const double wk = w.empty() ? 1.0 : w[k];
    if (!ux.empty() && x[k] == ux.back())
      uy.back() = (uy.back() * uw.back() + y[k] * wk) / (uw.back() + wk), uw.back() += wk;
    else
      ux.push_back(x[k]), uy.push_back(y[k]), uw.push_back(wk);
  }
  std::vector<double> by, bw;
  std::vector<size_t> first;  // the first unique x of each pooled block
  for (size_t u = 0; u < ux.size(); ++u) {
    by.push_back(uy[u]), bw.push_back(uw[u]), first.push_back(u);
    while (by.size() >= 2 && by[by.size() - 2] >= by.back()) {
      const double wsum = bw[bw.size() - 2] + bw.back();
      const double m = (by[by.size() - 2] * bw[bw.size() - 2] + by.back() * bw.back()) / wsum;
      by.pop_back(), bw.pop_back(), first.pop_back();
      by.back() = m, bw.back() = wsum;
    }
  }
  // Each block is constant over its unique x: keep its first and last point.
  Isotonic f;
  for (size_t b = 0; b < by.size(); ++b) {
    const size_t lo = first[b], hi = b + 1 < by.size() ? first[b + 1] - 1 : ux.size() - 1;
    f.x.push_back(ux[lo]), f.y.push_back(by[b]);
    if (hi > lo) f.x.push_back(ux[hi]), f.y.push_back(by[b]);
  }
  return f;
}

const std::vector<std::string>& pixel_methods() {
  static const std::vector<std::string> m = {"temperature", "class-temperature", "histogram", "isotonic"};
  return m;
}

double PixelCalibrator::map_top1(double p) const {
  if (method == "histogram") return bin_accuracy[std::min<int>(kHistogramBins - 1, int(p * kHistogramBins))];
  if (method == "isotonic") return isotonic(p);
  return p;
}

std::vector<float> PixelCalibrator::probabilities(const std::vector<float>& logits, int C) const {
  std::vector<float> p = metrics::softmax_rows(logits, C, inv_temperature);
  if (method != "histogram" && method != "isotonic") return p;
  for (size_t i = 0; i < p.size() / C; ++i) {
    float* r = p.data() + i * C;
    const int arg = static_cast<int>(std::max_element(r, r + C) - r);
    const double top = r[arg], mapped = std::clamp(map_top1(top), 1e-6, 1 - 1e-6);
    double rest = 0;
    for (int c = 0; c < C; ++c) rest += c == arg ? 0.0 : double(r[c]);
    const double scale = rest > 1e-12 ? (1 - mapped) / rest : 0;
    for (int c = 0; c < C; ++c) r[c] = c == arg ? float(mapped) : float(r[c] * scale);
    if (rest <= 1e-12)  // the other classes had no mass: share what is left evenly
      for (int c = 0; c < C; ++c)
        if (c != arg) r[c] = float((1 - mapped) / (C - 1));
  }
  return p;
}

nn::ConfidenceCalibration PixelCalibrator::for_segmenter() const {
  nn::ConfidenceCalibration c;
  for (double v : inv_temperature) c.inv_temperature.push_back(static_cast<float>(v));
  if (method == "histogram" || method == "isotonic") {
    constexpr int kPoints = 4097;  // the map sampled every 1/4096
    for (int k = 0; k < kPoints; ++k) c.top1_map.push_back(static_cast<float>(map_top1(double(k) / (kPoints - 1))));
  }
  return c;
}

Json PixelCalibrator::to_json() const {
  Json j = {{"method", method}};
  if (!inv_temperature.empty()) {
    std::vector<double> t;
    for (double a : inv_temperature) t.push_back(1 / a);
    j["temperature"] = t;
  }
  if (method == "histogram") j["bin_accuracy"] = bin_accuracy;
  if (method == "isotonic") j["isotonic"] = isotonic_json(isotonic);
  return j;
}

PixelCalibrator fit_pixel_calibrator(const std::string& method, const metrics::LabelledLogits& d) {
  PixelCalibrator p;
  p.method = method;
  if (method == "temperature") {
    p.inv_temperature = {fit_temperature(d)};
  } else if (method == "class-temperature") {
    p.inv_temperature = fit_class_temperature(d, fit_temperature(d));
  } else if (method == "histogram" || method == "isotonic") {
    std::vector<double> conf, correct;
    const std::vector<float> probs = metrics::softmax_rows(d.logits, d.classes, {});
    metrics::top_label(probs, probs, d.classes, d.labels, &conf, &correct);
    if (method == "isotonic") {
      p.isotonic = fit_isotonic(conf, correct, {}, "isotonic calibration");
    } else {
      std::vector<double> n(kHistogramBins, 0), k(kHistogramBins, 0);
      for (size_t i = 0; i < conf.size(); ++i) {
        const int b = std::min(kHistogramBins - 1, int(conf[i] * kHistogramBins));
        n[b] += 1, k[b] += correct[i];
      }
      for (int b = 0; b < kHistogramBins; ++b)
        p.bin_accuracy.push_back(n[b] > 0 ? k[b] / n[b] : (b + 0.5) / kHistogramBins);
    }
  } else {
    throw UsageError("unknown calibration method \"" + method +
                     "\" (temperature, class-temperature, histogram, isotonic)");
  }
  return p;
}

const std::vector<std::string>& frame_features() { return nn::softmax_stat_columns(); }

double FrameCalibrator::predict(const std::vector<double>& v) const {
  double s = bias;
  for (size_t k = 0; k < weights.size(); ++k) s += weights[k] * (v[k] - mean[k]) / scale[k];
  return std::clamp(isotonic(s), 0.0, 1.0);
}

Json FrameCalibrator::to_json() const {
  return {{"features", features}, {"mean", mean}, {"scale", scale},
          {"weights", weights},   {"bias", bias}, {"isotonic", isotonic_json(isotonic)}};
}

FrameCalibrator fit_frame_calibrator(const std::vector<std::vector<double>>& X, const std::vector<double>& y,
                                     double ridge) {
  check<InputError>(X.size() == y.size() && X.size() >= 2, "frame calibration needs 2 frames or more (got ", X.size(),
                    ")");
  const size_t n = X.size(), d = X[0].size();
  FrameCalibrator f;
  f.features = frame_features();
  f.mean.assign(d, 0), f.scale.assign(d, 0);
  for (const auto& r : X)
    for (size_t k = 0; k < d; ++k) f.mean[k] += r[k] / n;
  for (const auto& r : X)
    for (size_t k = 0; k < d; ++k) f.scale[k] += (r[k] - f.mean[k]) * (r[k] - f.mean[k]) / n;
  for (double& s : f.scale) s = s > 1e-18 ? std::sqrt(s) : 1;
  f.bias = std::accumulate(y.begin(), y.end(), 0.0) / n;
  // Ridge normal equations (Z'Z + ridge I) w = Z'(y - mean), by Gaussian elimination.
  std::vector<double> A(d * (d + 1), 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t a = 0; a < d; ++a) {
      const double za = (X[i][a] - f.mean[a]) / f.scale[a];
      for (size_t b = 0; b < d; ++b) A[a * (d + 1) + b] += za * (X[i][b] - f.mean[b]) / f.scale[b];
      A[a * (d + 1) + d] += za * (y[i] - f.bias);
    }
  for (size_t a = 0; a < d; ++a) A[a * (d + 1) + a] += ridge;
  for (size_t c = 0; c < d; ++c) {
    size_t piv = c;
    for (size_t r = c + 1; r < d; ++r)
      if (std::abs(A[r * (d + 1) + c]) > std::abs(A[piv * (d + 1) + c])) piv = r;
    for (size_t k = 0; k <= d; ++k) std::swap(A[c * (d + 1) + k], A[piv * (d + 1) + k]);
    for (size_t r = 0; r < d; ++r) {
      if (r == c) continue;
      const double m = A[r * (d + 1) + c] / A[c * (d + 1) + c];
      for (size_t k = c; k <= d; ++k) A[r * (d + 1) + k] -= m * A[c * (d + 1) + k];
    }
  }
  for (size_t a = 0; a < d; ++a) f.weights.push_back(A[a * (d + 1) + d] / A[a * (d + 1) + a]);
  for (double w : f.weights)
    check<InputError>(std::isfinite(w), "frame calibration: the regression has no finite solution (constant or ",
                      "collinear statistics?)");
  std::vector<double> s(n);
  f.isotonic = {};
  for (size_t i = 0; i < n; ++i) {
    s[i] = f.bias;
    for (size_t k = 0; k < d; ++k) s[i] += f.weights[k] * (X[i][k] - f.mean[k]) / f.scale[k];
  }
  f.isotonic = fit_isotonic(s, y, {}, "frame calibration");
  return f;
}

nn::ConfidenceCalibration Calibrator::for_segmenter() const {
  check<InputError>(level == "pixel", path, ": a ", level, "-level calibrator; segment applies pixel-level ones");
  nn::ConfidenceCalibration c = pixel.for_segmenter();
  c.model_name = model_name, c.model_sha256 = model_sha256, c.source = path;
  return c;
}

Calibrator read_calibrator(const std::string& path) {
  return read_artefact(path, [&] {
    Calibrator c;
    c.path = path;
    c.manifest = read_manifest(path, "calibrator", kCalibratorVersion);
    const Json& m = c.manifest;
    c.level = json_get<std::string>(m, "level", path);
    check<InputError>(c.level == "pixel" || c.level == "frame", path, ": level \"", c.level,
                      "\" is not pixel or frame");
    c.model_name = m.at("model").at("name").get<std::string>();
    c.model_sha256 = m.at("model").at("weights_sha256").get<std::string>();
    c.classes = json_get<int>(m, "classes", path, 0);
    c.pixel_sha256 = json_get<std::string>(m, "pixel_calibrator_sha256", path, "");
    if (c.level == "pixel") {
      const Json& p = m.at("pixel");
      c.pixel.method = json_get<std::string>(p, "method", path);
      if (p.contains("temperature"))
        for (double t : json_array_as<double>(p["temperature"], "temperature", path)) {
          check<InputError>(std::isfinite(t) && t > 0, path, ": temperature ", t, " is not positive");
          c.pixel.inv_temperature.push_back(1 / t);
        }
      if (c.pixel.method == "histogram") {
        c.pixel.bin_accuracy = json_array_as<double>(p.at("bin_accuracy"), "bin_accuracy", path);
        check<InputError>(c.pixel.bin_accuracy.size() == kHistogramBins, path, ": ", c.pixel.bin_accuracy.size(),
                          " histogram bins, expected ", kHistogramBins);
      }
      if (c.pixel.method == "isotonic") c.pixel.isotonic = isotonic_from(p.at("isotonic"), path);
      check<InputError>(c.pixel.method != "class-temperature" || int(c.pixel.inv_temperature.size()) == c.classes, path,
                        ": ", c.pixel.inv_temperature.size(), " per-class temperatures for ", c.classes, " classes");
      const auto& known = pixel_methods();
      check<InputError>(std::find(known.begin(), known.end(), c.pixel.method) != known.end(), path, ": method \"",
                        c.pixel.method, "\" is not one of temperature, class-temperature, histogram, isotonic");
      check<InputError>(c.pixel.method.find("temperature") == std::string::npos || !c.pixel.inv_temperature.empty(),
                        path, ": no temperature");
    } else {
      const Json& f = m.at("frame");
      c.frame.features = json_array_as<std::string>(f.at("features"), "features", path);
      check<InputError>(c.frame.features == frame_features(), path, ": frame features are not ",
                        "the ones this version reads");
      c.frame.mean = json_array_as<double>(f.at("mean"), "mean", path);
      c.frame.scale = json_array_as<double>(f.at("scale"), "scale", path);
      c.frame.weights = json_array_as<double>(f.at("weights"), "weights", path);
      c.frame.bias = json_get<double>(f, "bias", path);
      const size_t d = c.frame.features.size();
      check<InputError>(c.frame.mean.size() == d && c.frame.scale.size() == d && c.frame.weights.size() == d, path,
                        ": frame model sizes do not match its ", d, " features");
      c.frame.isotonic = isotonic_from(f.at("isotonic"), path);
    }
    return c;
  });
}

void CalibrateOptions::check() const {
  vssoff::check<UsageError>(!fit.empty(), "give the data to fit on (--fit)");
  vssoff::check<UsageError>(!output.empty(), "give the calibrator to write (-o)");
  const auto& m = pixel_methods();
  vssoff::check<UsageError>(std::find(m.begin(), m.end(), method) != m.end(), "unknown method \"", method,
                            "\" (temperature, class-temperature, histogram, isotonic)");
  vssoff::check<UsageError>(max_fit_samples >= 100, "--max-samples must be >= 100 (got ", max_fit_samples, ")");
  vssoff::check<UsageError>(ridge > 0 && std::isfinite(ridge), "--ridge must be > 0 (got ", ridge, ")");
}

namespace {

CalibrateResult calibrate_pixels(const CalibrateOptions& opt, Json& m) {
  std::string name, sha;
  metrics::LabelledLogits fit = concat(opt.fit, &name, &sha, "fit");
  if (name.empty()) {
    check<UsageError>(!opt.model.empty(), "logits from NPY files: name the model they came from (--model)");
    const nn::ModelCard card = nn::read_model_card(opt.model);
    name = card.name, sha = sha256_file(card.weights_path());
    check<InputError>(card.classes.empty() || int(card.classes.size()) == fit.classes, opt.model, ": ",
                      card.classes.size(), " classes, but the logits have ", fit.classes);
  }
  std::string test_name = name, test_sha = sha;
  metrics::LabelledLogits test = opt.test.empty() ? fit : concat(opt.test, &test_name, &test_sha, "test");
  check<InputError>(test.classes == fit.classes, "test data has ", test.classes, " classes, fit data ", fit.classes);
  log_info("", fit.size(), " fit samples, ", test.size(), opt.test.empty() ? " (the fit data again)" : "",
           " test samples, ", fit.classes, " classes");
  const metrics::LabelledLogits fit_sub = subsample(fit, opt.max_fit_samples, opt.seed);

  if (!opt.diagrams.empty()) make_directories(opt.diagrams);
  CalibrateResult r;
  Json report = Json::object();
  auto score = [&](const PixelCalibrator& p, const std::string& label) {
    const std::vector<float> probs = p.probabilities(test.logits, test.classes);
    // The prediction is the argmax of the scaled logits (only a per-class temperature changes
    // it); histogram and isotonic map its probability, which may then not be the largest.
    std::vector<double> conf, correct;
    metrics::top_label(probs, p.method == "class-temperature" ? probs : test.logits, test.classes, test.labels, &conf,
                       &correct);
    const metrics::Reliability rel = metrics::reliability(conf, correct, "calibration test data");
    const metrics::ProperScores ps = metrics::proper_scores(probs, test.labels, test.classes);
    Json j = metrics_json(rel, &ps);
    j["calibrator"] = p.to_json();
    report[label] = j;
    log_info("  ", label, ": ECE ", rel.ece, " (equal mass ", rel.ece_mass, "), MCE ", rel.mce, ", NLL ", ps.nll,
             ", Brier ", ps.brier, ", accuracy ", ps.accuracy);
    if (!opt.diagrams.empty())
      metrics::write_reliability_diagram((fs::path(opt.diagrams) / (slug(label) + ".png")).string(), label, rel,
                                         opt.force);
  };
  PixelCalibrator none;
  none.method = "none";
  score(none, "uncalibrated");
  for (const std::string& method : pixel_methods()) {
    log_info("fitting ", method, " on ", fit_sub.size(), " samples");
    PixelCalibrator p = fit_pixel_calibrator(method, fit_sub);
    score(p, method);
    if (method == opt.method) r.calibrator.pixel = p;
  }
  r.calibrator.level = "pixel";
  r.calibrator.model_name = name, r.calibrator.model_sha256 = sha, r.calibrator.classes = fit.classes;
  m["pixel"] = r.calibrator.pixel.to_json();
  m["fit_samples"] = fit_sub.size();
  m["test_samples"] = test.size();
  m["test_is_fit_data"] = opt.test.empty();
  r.report = report;
  return r;
}

CalibrateResult calibrate_frames(const CalibrateOptions& opt, Json& m) {
  auto load = [&](const std::vector<std::string>& paths, std::vector<std::vector<double>>* X, std::vector<double>* y,
                  std::vector<double>* raw, OffloadProfile* first) {
    for (const std::string& path : paths) {
      OffloadProfile p = read_offload_profile(path);
      if (first->path.empty())
        *first = p;
      else
        check<InputError>(p.edge_name == first->edge_name && p.edge_sha256 == first->edge_sha256 &&
                              p.calibrator_sha256 == first->calibrator_sha256,
                          path, ": profiled with edge model \"", p.edge_name, "\" (or another calibrator), but ",
                          first->path, " with \"", first->edge_name, "\"");
      for (const OffloadFrame& f : p.frames)
        X->push_back(f.stats), y->push_back(f.local_miou), raw->push_back(f.raw_confidence);
    }
  };
  std::vector<std::vector<double>> X, Xt;
  std::vector<double> y, yt, raw, rawt;
  OffloadProfile first, test_first;
  load(opt.fit, &X, &y, &raw, &first);
  load(opt.test.empty() ? opt.fit : opt.test, &Xt, &yt, &rawt, &test_first);
  check<InputError>(test_first.edge_name == first.edge_name && test_first.edge_sha256 == first.edge_sha256 &&
                        test_first.calibrator_sha256 == first.calibrator_sha256,
                    test_first.path, ": test profile of another edge model or calibrator than ", first.path);
  CalibrateResult r;
  r.calibrator.level = "frame";
  r.calibrator.model_name = first.edge_name, r.calibrator.model_sha256 = first.edge_sha256;
  r.calibrator.pixel_sha256 = first.calibrator_sha256;
  r.calibrator.frame = fit_frame_calibrator(X, y, opt.ridge);
  if (!opt.diagrams.empty()) make_directories(opt.diagrams);
  Json report = Json::object();
  auto score = [&](const std::vector<double>& conf, const std::string& label) {
    std::vector<double> c(conf.size());
    double mae = 0;
    for (size_t i = 0; i < conf.size(); ++i) c[i] = std::clamp(conf[i], 0.0, 1.0), mae += std::abs(c[i] - yt[i]);
    const metrics::Reliability rel = metrics::reliability(c, yt, "frame calibration test data");
    Json j = metrics_json(rel, nullptr);
    j["mae"] = mae / conf.size();
    report[label] = j;
    log_info("  ", label, ": frame ECE ", rel.ece, " (equal mass ", rel.ece_mass, "), MAE ", mae / conf.size(),
             " against frame mIoU");
    if (!opt.diagrams.empty())
      metrics::write_reliability_diagram((fs::path(opt.diagrams) / ("frame-" + slug(label) + ".png")).string(),
                                         "frame mIoU, " + label, rel, opt.force);
  };
  std::vector<double> pred;
  for (const auto& x : Xt) pred.push_back(r.calibrator.frame.predict(x));
  std::vector<double> cal_mean;
  for (const auto& x : Xt) cal_mean.push_back(x[0]);
  log_info("", X.size(), " fit frames, ", Xt.size(), " test frames");
  score(rawt, "raw mean top-1 probability");
  if (!first.calibrator_sha256.empty()) score(cal_mean, "calibrated mean top-1 probability");
  score(pred, "frame calibrator");
  m["frame"] = r.calibrator.frame.to_json();
  m["fit_frames"] = X.size();
  m["test_frames"] = Xt.size();
  m["test_is_fit_data"] = opt.test.empty();
  r.report = report;
  return r;
}

}  // namespace

CalibrateResult calibrate(const CalibrateOptions& opt) {
  opt.check();
  check_output_path(opt.output, opt.force);
  const bool frames = opt.fit[0].ends_with(".csv");
  for (const auto& list : {opt.fit, opt.test})
    for (const std::string& item : list)
      check<UsageError>(item.ends_with(".csv") == frames, "\"", item, "\": give either offload profiles (.csv) ",
                        "or DATA:LABELS pairs, not both");
  Json m = new_manifest("calibrator", kCalibratorVersion);
  CalibrateResult r = frames ? calibrate_frames(opt, m) : calibrate_pixels(opt, m);
  for (const auto& list : {opt.fit, opt.test})
    for (const std::string& item : list) {
      if (frames) {
        add_input(m, &list == &opt.fit ? "fit" : "test", item);
        continue;
      }
      auto [data, labels] = split_pair(item);
      if (!fs::is_directory(data)) add_input(m, &list == &opt.fit ? "fit" : "test", data);
    }
  m["level"] = r.calibrator.level;
  m["model"] = {{"name", r.calibrator.model_name}, {"weights_sha256", r.calibrator.model_sha256}};
  m["classes"] = r.calibrator.classes;
  if (!r.calibrator.pixel_sha256.empty()) m["pixel_calibrator_sha256"] = r.calibrator.pixel_sha256;
  m["fit"] = opt.fit, m["test"] = opt.test;
  m["report"] = r.report;
  write_manifest(opt.output, m, opt.force);
  r.calibrator.manifest = m;
  r.calibrator.path = opt.output;
  return r;
}

}  // namespace vssoff::cbo
