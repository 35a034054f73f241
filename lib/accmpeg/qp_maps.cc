#include "accmpeg/qp_maps.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <opencv2/imgproc.hpp>

#include "core/coco.h"
#include "core/error.h"
#include "core/fs.h"

namespace vssoff::accmpeg {
namespace {

int mb_count(int pixels) { return (pixels + 15) / 16; }

codec::QpMap empty_map(int width, int height, int64_t total_frames, const QpMapParams& p) {
  codec::QpMap map;
  map.kind = codec::QpMapKind::kAbsolute;
  map.granularity = codec::QpMapGranularity::kSegment;
  map.segment_frames = p.segment_frames;
  map.width = width;
  map.height = height;
  map.rows = mb_count(height);
  map.cols = mb_count(width);
  map.count = static_cast<int>((total_frames + p.segment_frames - 1) / p.segment_frames);
  map.qp.assign(static_cast<size_t>(map.count) * map.rows * map.cols, static_cast<uint8_t>(p.qp_lo));
  return map;
}

// Mask -> QPs of one segment, after clean-up and dilation (replicated borders).
void apply_mask(cv::Mat mask, const QpMapParams& p, uint8_t* qp) {
  cv::Mat k3 = cv::getStructuringElement(cv::MORPH_RECT, {3, 3});
  if (p.clean) {
    cv::morphologyEx(mask, mask, cv::MORPH_OPEN, k3, {-1, -1}, 1, cv::BORDER_REPLICATE);
    cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, k3, {-1, -1}, 1, cv::BORDER_REPLICATE);
  }
  if (p.dilate > 0)
    cv::dilate(mask, mask, cv::getStructuringElement(cv::MORPH_RECT, {2 * p.dilate + 1, 2 * p.dilate + 1}), {-1, -1}, 1,
               cv::BORDER_REPLICATE);
  for (int i = 0; i < mask.rows * mask.cols; ++i) qp[i] = static_cast<uint8_t>(mask.data[i] ? p.qp_hi : p.qp_lo);
}

// Graded QPs of one segment from its mean importance (see the header). No importance
// anywhere says nothing: the whole segment at qp_mean; a macroblock with none (a zero
// gradient) sits 1000x below the mean, which the clamp turns into qp_lo.
void graded_qps(const float* v, size_t cells, const QpMapParams& p, uint8_t* qp) {
  const std::vector<float> r = relative_log2_importance(v, cells);
  for (size_t k = 0; k < cells; ++k)
    qp[k] = static_cast<uint8_t>(std::clamp<long>(std::lround(p.qp_mean - p.graded * r[k]), p.qp_hi, p.qp_lo));
}

}  // namespace

std::vector<uint8_t> importance_labels(const float* grad, int count, double top_percent, double threshold) {
  std::vector<uint8_t> out(count, 0);
  if (threshold >= 0) {
    for (int i = 0; i < count; ++i) out[i] = grad[i] > threshold;
    return out;
  }
  int k = static_cast<int>(std::lround(count * top_percent / 100.0));
  std::vector<int> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return grad[a] > grad[b]; });
  for (int i = 0; i < k && i < count; ++i)
    if (grad[order[i]] > 0) out[order[i]] = 1;  // a zero gradient is never important
  return out;
}

std::vector<float> relative_log2_importance(const float* v, size_t count) {
  double mean = 0;
  for (size_t k = 0; k < count; ++k) mean += v[k];
  mean = count ? mean / count : 0;
  std::vector<float> out(count, 0.0f);
  if (mean > 0)
    for (size_t k = 0; k < count; ++k)
      out[k] = static_cast<float>(std::log2(std::max<double>(v[k], 1e-3 * mean) / mean));
  return out;
}

double roc_auc(const std::vector<float>& scores, const std::vector<uint8_t>& labels) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double pos = 0, neg = 0, rank_sum = 0;
  for (size_t i = 0; i < order.size();) {  // average ranks over ties (Mann-Whitney U)
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    double rank = (i + 1 + j) / 2.0;
    for (size_t k = i; k < j; ++k)
      if (labels[order[k]])
        rank_sum += rank, ++pos;
      else
        ++neg;
    i = j;
  }
  if (pos == 0 || neg == 0) return NAN;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

void QpMapParams::check() const {
  vssoff::check<UsageError>(segment_frames >= 1, "segment frames must be >= 1 (got ", segment_frames, ")");
  vssoff::check<UsageError>(threshold >= 0 || (top_percent > 0 && top_percent <= 100),
                            "top percent must be in (0, 100] (got ", top_percent, ")");
  vssoff::check<UsageError>(dilate >= 0 && dilate <= 16, "dilate must be in [0, 16] macroblocks (got ", dilate, ")");
  vssoff::check<UsageError>(qp_hi >= 0 && qp_hi <= 51 && qp_lo >= 0 && qp_lo <= 51, "QPs must be in [1, 51] (got ",
                            qp_hi, " and ", qp_lo, ")");
  vssoff::check<UsageError>(qp_hi >= 1 && qp_lo >= 1, "QP 0 cannot be in a QP map (got qp-hi ", qp_hi, ", qp-lo ",
                            qp_lo, "): x264 would switch the whole frame to lossless and ignore the map");
  vssoff::check<UsageError>(qp_hi <= qp_lo, "qp-hi (", qp_hi, ") is the high-quality QP and must not exceed qp-lo (",
                            qp_lo, ")");
  vssoff::check<UsageError>(graded >= 0 && graded <= 24, "graded must be in [0, 24] QP per doubling (got ", graded,
                            ")");
  vssoff::check<UsageError>(graded == 0 || (qp_mean >= qp_hi && qp_mean <= qp_lo), "qp-mean (", qp_mean,
                            ") must lie between qp-hi (", qp_hi, ") and qp-lo (", qp_lo, ")");
}

Json QpMapParams::to_json() const {
  return {{"segment_frames", segment_frames},
          {"top_percent", threshold >= 0 ? Json(nullptr) : Json(top_percent)},
          {"threshold", threshold >= 0 ? Json(threshold) : Json(nullptr)},
          {"dilate", dilate},
          {"clean", clean},
          {"qp_hi", qp_hi},
          {"qp_lo", qp_lo},
          {"graded", graded},
          {"qp_mean", graded > 0 ? Json(qp_mean) : Json(nullptr)}};
}

bool is_sampled(int64_t index, bool last, int segment_frames, const std::string& sample) {
  check<UsageError>(sample == "ends" || sample == "first" || sample == "all", "sample must be ends, first or all (got ",
                    sample, ")");
  check<UsageError>(segment_frames >= 1, "segment length must be >= 1 frame (got ", segment_frames, ")");
  const int64_t k = index % segment_frames;  // a segment's first frame, its last, or the video's last
  return sample == "all" || k == 0 || (sample == "ends" && (k == segment_frames - 1 || last));
}

std::vector<int64_t> sampled_frames(int64_t total_frames, int segment_frames, const std::string& sample) {
  is_sampled(0, false, segment_frames, sample);  // checks the rule
  std::vector<int64_t> out;
  for (int64_t i = 0; i < total_frames; ++i)
    if (is_sampled(i, i + 1 == total_frames, segment_frames, sample)) out.push_back(i);
  return out;
}

codec::QpMap qp_map_from_importance(const std::vector<int64_t>& frame_indices, const std::vector<float>& importance,
                                    int rows, int cols, int width, int height, int64_t total_frames,
                                    const QpMapParams& p, std::vector<float>* segment_importance) {
  p.check();
  codec::QpMap map = empty_map(width, height, total_frames, p);
  check<InputError>(map.rows == rows && map.cols == cols, "importance grid ", rows, "x", cols, " does not fit ", width,
                    "x", height, " (", map.rows, "x", map.cols, " macroblocks)");
  const size_t cells = static_cast<size_t>(rows) * cols;
  check<RuntimeError>(importance.size() == frame_indices.size() * cells, "importance holds ", importance.size(),
                      " values for ", frame_indices.size(), " frames of ", cells, " macroblocks");
  std::vector<float> mean(static_cast<size_t>(map.count) * cells, 0.0f);
  std::vector<int> n(map.count, 0);
  for (size_t f = 0; f < frame_indices.size(); ++f) {
    check<InputError>(frame_indices[f] >= 0, "importance given for frame ", frame_indices[f],
                      " (a negative frame index)");
    int64_t s = frame_indices[f] / p.segment_frames;
    if (s >= map.count) continue;
    for (size_t k = 0; k < cells; ++k) mean[s * cells + k] += importance[f * cells + k];
    ++n[s];
  }
  for (int s = 0; s < map.count; ++s) {
    check<InputError>(n[s] > 0, "segment ", s, " (frames ", s * int64_t(p.segment_frames), "-",
                      std::min<int64_t>(total_frames, (s + 1) * int64_t(p.segment_frames)) - 1,
                      ") has no frame with importance; sample every segment");
    float* m = mean.data() + s * cells;
    for (size_t k = 0; k < cells; ++k) m[k] /= n[s];
    if (p.graded > 0) {
      graded_qps(m, cells, p, map.qp.data() + s * cells);
      continue;
    }
    std::vector<uint8_t> lab = importance_labels(m, static_cast<int>(cells), p.top_percent, p.threshold);
    cv::Mat mask(rows, cols, CV_8U, lab.data());
    apply_mask(mask, p, map.qp.data() + s * cells);
  }
  if (segment_importance) *segment_importance = std::move(mean);
  return map;
}

codec::QpMap qp_map_from_boxes(const std::string& coco_path, int width, int height, int64_t total_frames,
                               const QpMapParams& p, double margin) {
  p.check();
  check<UsageError>(margin >= 0, "box margin must be >= 0 (got ", margin, ")");
  const coco::Dataset boxes = coco::read_dataset(coco_path);
  for (const coco::Image& im : boxes.images)
    check<InputError>(im.width == 0 || (im.width == width && im.height == height), coco_path, ": image ", im.id, " is ",
                      im.width, "x", im.height, ", the video ", width, "x", height);
  codec::QpMap map = empty_map(width, height, total_frames, p);
  const size_t cells = static_cast<size_t>(map.rows) * map.cols;
  std::vector<cv::Mat> masks;
  for (int s = 0; s < map.count; ++s) masks.push_back(cv::Mat::zeros(map.rows, map.cols, CV_8U));
  for (const coco::Box& a : boxes.annotations) {
    const int64_t frame = boxes.frame_of(a.image_id);
    if (frame < 0 || frame >= total_frames) continue;
    double x0 = a.x - margin, y0 = a.y - margin;
    double x1 = x0 + a.w + 2 * margin, y1 = y0 + a.h + 2 * margin;
    int c0 = std::max(0, static_cast<int>(std::floor(x0 / 16))),
        c1 = std::min(map.cols - 1, static_cast<int>(std::ceil(x1 / 16)) - 1);
    int r0 = std::max(0, static_cast<int>(std::floor(y0 / 16))),
        r1 = std::min(map.rows - 1, static_cast<int>(std::ceil(y1 / 16)) - 1);
    cv::Mat& m = masks[frame / p.segment_frames];
    for (int r = r0; r <= r1; ++r)
      for (int c = c0; c <= c1; ++c) m.at<uint8_t>(r, c) = 1;
  }
  QpMapParams raw = p;
  raw.clean = false;  // boxes are regions already
  for (int s = 0; s < map.count; ++s) apply_mask(masks[s], raw, map.qp.data() + s * cells);
  return map;
}

}  // namespace vssoff::accmpeg
