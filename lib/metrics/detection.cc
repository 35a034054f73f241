#include "metrics/detection.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "core/error.h"
#include "video/chart.h"

namespace vssoff::metrics {
namespace {

// numpy.linspace(start, stop, num): (i * step) + start, each rounded, the last exactly stop.
// The product goes through a volatile so that no FMA contracts the two roundings into one.
std::vector<double> linspace(double start, double stop, int num) {
  const double step = (stop - start) / (num - 1);
  std::vector<double> y(num);
  for (int i = 0; i < num; ++i) {
    volatile double product = i * step;
    y[i] = product + start;
  }
  y[num - 1] = stop;
  return y;
}

// Boxes grouped per (image, category), in input order: groups[i * K + k].
struct Groups {
  std::vector<std::vector<const coco::Box*>> truth, detections;
};

Groups group(const std::vector<int64_t>& image_ids, const std::vector<int>& category_ids,
             const std::vector<coco::Box>& truth, const std::vector<coco::Box>& detections) {
  std::unordered_map<int64_t, size_t> image_idx;
  std::unordered_map<int, size_t> category_idx;
  for (size_t i = 0; i < image_ids.size(); ++i) image_idx.emplace(image_ids[i], i);
  for (size_t k = 0; k < category_ids.size(); ++k) category_idx.emplace(category_ids[k], k);
  const size_t K = category_ids.size();
  Groups g;
  g.truth.resize(image_ids.size() * K), g.detections.resize(image_ids.size() * K);
  auto place = [&](const std::vector<coco::Box>& boxes, std::vector<std::vector<const coco::Box*>>& out) {
    for (const coco::Box& b : boxes) {
      auto i = image_idx.find(b.image_id);
      auto k = category_idx.find(b.category_id);
      if (i != image_idx.end() && k != category_idx.end()) out[i->second * K + k->second].push_back(&b);
    }
  };
  place(truth, g.truth);
  place(detections, g.detections);
  return g;
}

// Stable sort by descending score.
void sort_by_score(std::vector<const coco::Box*>& boxes) {
  std::stable_sort(boxes.begin(), boxes.end(),
                   [](const coco::Box* a, const coco::Box* b) { return a->score > b->score; });
}

// COCOeval.evaluateImg's result for one image, category and area range.
struct ImageEval {
  std::vector<double> scores;             // the detections, in score order
  std::vector<uint8_t> matched, ignored;  // [t * D + d]
  int64_t truths = 0;                     // non-ignored ground truth
};

}  // namespace

std::vector<double> coco_iou_thresholds() { return linspace(0.5, 0.95, 10); }
std::vector<double> coco_recall_thresholds() { return linspace(0.0, 1.0, kCocoRecallPoints); }

double box_iou(const coco::Box& d, const coco::Box& g, bool crowd) {
  // maskApi.c bbIou, operation for operation.
  const double w = std::fmin(d.w + d.x, g.w + g.x) - std::fmax(d.x, g.x);
  if (w <= 0) return 0;
  const double h = std::fmin(d.h + d.y, g.h + g.y) - std::fmax(d.y, g.y);
  if (h <= 0) return 0;
  const double da = d.w * d.h, ga = g.w * g.h, i = w * h;
  return i / (crowd ? da : da + ga - i);
}

double CocoEval::precision_at(int t, int r, int k, int a, int m) const {
  const size_t R = recall_thresholds.size(), K = category_ids.size(), M = max_dets.size();
  return precision[(((t * R + r) * K + k) * kCocoAreas + a) * M + m];
}

double CocoEval::recall_at(int t, int k, int a, int m) const {
  const size_t K = category_ids.size(), M = max_dets.size();
  return recall[((t * K + k) * kCocoAreas + a) * M + m];
}

double CocoEval::ap(int iou_idx, int area_idx, int m, int category_idx) const {
  const int T = static_cast<int>(iou_thresholds.size()), R = static_cast<int>(recall_thresholds.size());
  const int K = static_cast<int>(category_ids.size());
  double sum = 0;
  int64_t n = 0;
  for (int t = iou_idx < 0 ? 0 : iou_idx; t < (iou_idx < 0 ? T : iou_idx + 1); ++t)
    for (int r = 0; r < R; ++r)
      for (int k = category_idx < 0 ? 0 : category_idx; k < (category_idx < 0 ? K : category_idx + 1); ++k) {
        const double v = precision_at(t, r, k, area_idx, m);
        if (v > -1) sum += v, ++n;
      }
  return n ? sum / n : -1;
}

double CocoEval::ar(int area_idx, int m, int category_idx) const {
  const int T = static_cast<int>(iou_thresholds.size()), K = static_cast<int>(category_ids.size());
  double sum = 0;
  int64_t n = 0;
  for (int t = 0; t < T; ++t)
    for (int k = category_idx < 0 ? 0 : category_idx; k < (category_idx < 0 ? K : category_idx + 1); ++k) {
      const double v = recall_at(t, k, area_idx, m);
      if (v > -1) sum += v, ++n;
    }
  return n ? sum / n : -1;
}

CocoEval coco_evaluate(std::vector<int64_t> image_ids, const std::vector<int>& category_ids,
                       const std::vector<coco::Box>& truth, const std::vector<coco::Box>& detections, int max_dets) {
  check<UsageError>(max_dets >= 1, "max_dets must be >= 1 (got ", max_dets, ")");
  std::sort(image_ids.begin(), image_ids.end());
  image_ids.erase(std::unique(image_ids.begin(), image_ids.end()), image_ids.end());
  CocoEval e;
  e.image_ids = image_ids;
  e.category_ids = category_ids;
  e.iou_thresholds = coco_iou_thresholds();
  e.recall_thresholds = coco_recall_thresholds();
  for (int m : {1, 10, max_dets})
    if (std::min(m, max_dets) > (e.max_dets.empty() ? 0 : e.max_dets.back()))
      e.max_dets.push_back(std::min(m, max_dets));
  const size_t I = image_ids.size(), K = category_ids.size(), T = e.iou_thresholds.size();
  const size_t R = e.recall_thresholds.size(), M = e.max_dets.size();
  e.precision.assign(T * R * K * kCocoAreas * M, -1);
  e.recall.assign(T * K * kCocoAreas * M, -1);
  e.truths.assign(K, 0), e.detections.assign(K, 0);

  Groups groups = group(image_ids, category_ids, truth, detections);
  std::vector<ImageEval> evals(I);
  std::vector<uint8_t> present(I);
  std::vector<double> ious;  // [d * G + g], g in the ordered ground truth
  std::vector<uint8_t> gt_ignored, gt_matched;
  std::vector<size_t> order;
  for (size_t k = 0; k < K; ++k) {
    for (size_t i = 0; i < I; ++i) {  // detections in score order, cut to max_dets
      auto& dt = groups.detections[i * K + k];
      sort_by_score(dt);
      if (dt.size() > static_cast<size_t>(max_dets)) dt.resize(max_dets);
      e.detections[k] += dt.size();
      for (const coco::Box* g : groups.truth[i * K + k]) e.truths[k] += !g->iscrowd;
    }
    for (int a = 0; a < kCocoAreas; ++a) {
      const AreaRange range = kCocoAreaRanges[a];
      for (size_t i = 0; i < I; ++i) {
        const auto& dt = groups.detections[i * K + k];
        const auto& gt = groups.truth[i * K + k];
        const size_t D = dt.size(), G = gt.size();
        present[i] = D > 0 || G > 0;
        if (!present[i]) continue;
        // Ground truth: non-ignored first, in input order otherwise (a stable argsort).
        gt_ignored.resize(G);
        for (size_t g = 0; g < G; ++g) {
          const double area = truth_area(*gt[g]);
          gt_ignored[g] = gt[g]->iscrowd || area < range.lo || area > range.hi;
        }
        order.resize(G);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return gt_ignored[x] < gt_ignored[y]; });
        ious.resize(D * G);
        for (size_t d = 0; d < D; ++d)
          for (size_t g = 0; g < G; ++g) ious[d * G + g] = box_iou(*dt[d], *gt[order[g]], gt[order[g]]->iscrowd);
        ImageEval& ev = evals[i];
        ev.scores.resize(D);
        for (size_t d = 0; d < D; ++d) ev.scores[d] = dt[d]->score;
        ev.matched.assign(T * D, 0), ev.ignored.assign(T * D, 0);
        ev.truths = 0;
        for (size_t g = 0; g < G; ++g) ev.truths += !gt_ignored[g];
        for (size_t t = 0; t < T; ++t) {
          gt_matched.assign(G, 0);
          for (size_t d = 0; d < D; ++d) {
            double best = std::min(e.iou_thresholds[t], 1 - 1e-10);
            int m = -1;
            for (size_t g = 0; g < G; ++g) {
              const size_t og = order[g];
              if (gt_matched[g] && !gt[og]->iscrowd) continue;
              if (m > -1 && !gt_ignored[order[m]] && gt_ignored[og]) break;
              if (ious[d * G + g] < best) continue;
              best = ious[d * G + g];
              m = static_cast<int>(g);
            }
            if (m >= 0) {
              ev.matched[t * D + d] = 1;
              ev.ignored[t * D + d] = gt_ignored[order[m]];
              gt_matched[m] = 1;
            } else {
              const double area = dt[d]->w * dt[d]->h;
              ev.ignored[t * D + d] = area < range.lo || area > range.hi;
            }
          }
        }
      }

      // COCOeval.accumulate for (k, a), each max_dets.
      for (size_t m = 0; m < M; ++m) {
        const size_t cut = e.max_dets[m];
        struct Ref {
          double score;
          size_t image, d;
        };
        std::vector<Ref> refs;
        int64_t npig = 0;
        bool any = false;
        for (size_t i = 0; i < I; ++i) {
          if (!present[i]) continue;
          any = true;
          npig += evals[i].truths;
          for (size_t d = 0; d < std::min(cut, evals[i].scores.size()); ++d) refs.push_back({evals[i].scores[d], i, d});
        }
        if (!any || npig == 0) continue;
        std::stable_sort(refs.begin(), refs.end(), [](const Ref& x, const Ref& y) { return x.score > y.score; });
        const size_t nd = refs.size();
        std::vector<double> rc(nd), pr(nd);
        for (size_t t = 0; t < T; ++t) {
          double tp = 0, fp = 0;
          for (size_t j = 0; j < nd; ++j) {
            const ImageEval& ev = evals[refs[j].image];
            const size_t at = t * ev.scores.size() + refs[j].d;
            if (!ev.ignored[at]) (ev.matched[at] ? tp : fp) += 1;
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + std::numeric_limits<double>::epsilon());
          }
          e.recall[((t * K + k) * kCocoAreas + a) * M + m] = nd ? rc[nd - 1] : 0;
          for (size_t j = nd; j-- > 1;)
            if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
          for (size_t r = 0; r < R; ++r) {
            const size_t j = std::lower_bound(rc.begin(), rc.end(), e.recall_thresholds[r]) - rc.begin();
            e.precision[(((t * R + r) * K + k) * kCocoAreas + a) * M + m] = j < nd ? pr[j] : 0;
          }
        }
      }
    }
  }
  return e;
}

CocoSummary summarize(const CocoEval& e) {
  const int last = e.last_max_dets();
  auto index_of = [&](int n) {
    int found = last;
    for (int m = 0; m < static_cast<int>(e.max_dets.size()); ++m)
      if (e.max_dets[m] == std::min(n, e.max_dets.back())) found = m;
    return found;
  };
  int t75 = -1;
  for (int t = 0; t < static_cast<int>(e.iou_thresholds.size()); ++t)
    if (e.iou_thresholds[t] == 0.75) t75 = t;
  CocoSummary s;
  s.map = e.ap(-1, 0, last);
  s.map_50 = e.ap(0, 0, last);
  s.map_75 = t75 >= 0 ? e.ap(t75, 0, last) : -1;
  s.map_small = e.ap(-1, 1, last);
  s.map_medium = e.ap(-1, 2, last);
  s.map_large = e.ap(-1, 3, last);
  s.ar_1 = e.ar(0, index_of(1));
  s.ar_10 = e.ar(0, index_of(10));
  s.ar_max = e.ar(0, last);
  s.ar_small = e.ar(1, last);
  s.ar_medium = e.ar(2, last);
  s.ar_large = e.ar(3, last);
  return s;
}

double MatchCounts::precision() const { return tp + fp ? double(tp) / double(tp + fp) : NAN; }
double MatchCounts::recall() const { return tp + fn ? double(tp) / double(tp + fn) : NAN; }
double MatchCounts::f1() const { return tp + fp + fn ? 2.0 * tp / double(2 * tp + fp + fn) : NAN; }

ThresholdMatch match_at_score(const std::vector<int64_t>& image_ids, const std::vector<int>& category_ids,
                              const std::vector<coco::Box>& truth, const std::vector<coco::Box>& detections,
                              double score_threshold, double iou_threshold) {
  Groups groups = group(image_ids, category_ids, truth, detections);
  const size_t K = category_ids.size();
  ThresholdMatch r;
  for (int64_t id : image_ids) r.per_image[id], r.detections_kept[id] = 0;
  for (int c : category_ids) r.per_category[c];
  std::vector<uint8_t> used;
  for (size_t i = 0; i < image_ids.size(); ++i)
    for (size_t k = 0; k < K; ++k) {
      auto& dt = groups.detections[i * K + k];
      const auto& gt = groups.truth[i * K + k];
      dt.erase(std::remove_if(dt.begin(), dt.end(), [&](const coco::Box* d) { return d->score < score_threshold; }),
               dt.end());
      sort_by_score(dt);
      r.detections_kept[image_ids[i]] += dt.size();
      MatchCounts c;
      used.assign(gt.size(), 0);
      for (const coco::Box* d : dt) {
        int best_g = -1;
        double best = -1;
        for (size_t g = 0; g < gt.size(); ++g) {
          if (used[g] || gt[g]->iscrowd) continue;
          const double iou = box_iou(*d, *gt[g], false);
          if (iou >= iou_threshold && iou > best) best = iou, best_g = static_cast<int>(g);
        }
        if (best_g >= 0) {
          used[best_g] = 1, ++c.tp;
          continue;
        }
        const bool on_crowd = std::any_of(gt.begin(), gt.end(), [&](const coco::Box* g) {
          return g->iscrowd && box_iou(*d, *g, true) >= iou_threshold;
        });
        if (!on_crowd) ++c.fp;
      }
      for (size_t g = 0; g < gt.size(); ++g) c.fn += !used[g] && !gt[g]->iscrowd;
      r.per_image[image_ids[i]].add(c);
      r.per_category[category_ids[k]].add(c);
      r.overall.add(c);
    }
  return r;
}

void write_pr_curve(const std::string& path, const std::string& title, const CocoEval& e,
                    const std::vector<std::string>& class_names, bool force) {
  static constexpr std::array<std::array<uint8_t, 3>, 10> kPalette{{{31, 119, 180},
                                                                    {255, 127, 14},
                                                                    {44, 160, 44},
                                                                    {214, 39, 40},
                                                                    {148, 103, 189},
                                                                    {140, 86, 75},
                                                                    {227, 119, 194},
                                                                    {127, 127, 127},
                                                                    {188, 189, 34},
                                                                    {23, 190, 207}}};
  const int R = static_cast<int>(e.recall_thresholds.size()), last = e.last_max_dets();
  video::ChartPanel panel{"precision", {}, 0, 1};
  std::vector<double> sum(R, 0);
  int classes = 0;
  for (int k = 0; k < static_cast<int>(e.category_ids.size()); ++k) {
    if (e.precision_at(0, 0, k, 0, last) <= -1) continue;  // no ground truth
    char label[160];
    std::snprintf(label, sizeof label, "%s (AP50 %.3f)", class_names.at(k).c_str(), e.ap(0, 0, last, k));
    video::ChartSeries s{label, e.recall_thresholds, {}, kPalette[classes % kPalette.size()]};
    for (int r = 0; r < R; ++r) s.y.push_back(e.precision_at(0, r, k, 0, last)), sum[r] += s.y.back();
    panel.series.push_back(std::move(s));
    ++classes;
  }
  if (classes > 0) {
    char label[64];
    std::snprintf(label, sizeof label, "mean (mAP50 %.3f)", e.ap(0, 0, last));
    video::ChartSeries mean{label, e.recall_thresholds, {}, {0, 0, 0}};
    for (int r = 0; r < R; ++r) mean.y.push_back(sum[r] / classes);
    panel.series.push_back(std::move(mean));
  }
  video::write_chart(path, title, "recall", {panel}, force);
}

}  // namespace vssoff::metrics
