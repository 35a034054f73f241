#include "link/trace.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/manifest.h"

namespace vssoff::link {

double BandwidthTrace::mean_kbps(double t0, double t1) const {
  if (!deliveries_ms.empty()) {
    auto lo = std::lower_bound(deliveries_ms.begin(), deliveries_ms.end(), t0 * 1000);
    auto hi = std::lower_bound(deliveries_ms.begin(), deliveries_ms.end(), t1 * 1000);
    return (hi - lo) * 1500.0 * 8 / (t1 - t0) / 1000;
  }
  double sum = 0;
  for (size_t i = 0; i < times.size(); ++i) {
    double a = std::max(t0, times[i]), b = std::min(t1, i + 1 < times.size() ? times[i + 1] : duration_s);
    if (b > a) sum += kbps[i] * (b - a);
  }
  return sum / (t1 - t0);
}

BandwidthTrace read_trace(const std::string& path) {
  check_input_file(path, "bandwidth trace");
  return read_artefact(path, [&] {
    BandwidthTrace t;
    t.path = path;
    std::string text = read_file(path);
    if (text.find(',') != std::string::npos) {
      CsvTable csv = read_csv(path);
      for (size_t r = 0; r < csv.rows.size(); ++r) {
        double time = csv.number(r, "time_s"), kbps = csv.number(r, "kbps");
        check<InputError>(kbps >= 0 && (t.times.empty() || time > t.times.back()), path, ": row ", r + 2,
                          ": times must increase and kbps be >= 0 (got ", time, ", ", kbps, ")");
        t.times.push_back(time);
        t.kbps.push_back(kbps);
      }
      check<InputError>(t.times.size() >= 2 && t.times[0] == 0, path,
                        ": a CSV trace starts at time_s 0 and has two rows or more");
      t.duration_s = t.times.back();  // the last row only marks the end
    } else {
      std::istringstream in(text);
      std::string line;
      for (int n = 1; std::getline(in, line); ++n) {
        if (line.empty()) continue;
        char* end = nullptr;
        double ms = std::strtod(line.c_str(), &end);
        check<InputError>(end && *end == '\0' && ms >= 0 && (t.deliveries_ms.empty() || ms >= t.deliveries_ms.back()),
                          path, ": line ", n, ": not a Mahimahi delivery time in ms (\"", line, "\")");
        t.deliveries_ms.push_back(ms);
      }
      check<InputError>(!t.deliveries_ms.empty(), path, ": empty trace");
      t.duration_s = t.deliveries_ms.back() / 1000;
    }
    return t;
  });
}

}  // namespace vssoff::link
