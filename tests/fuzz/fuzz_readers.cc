// libFuzzer targets for the readers of outside input. One source, one binary per reader:
// VSSOFF_FUZZ_TARGET names it (npy, csv, trace, coco, modelcard, estimators, qpmap). Each
// input is written to a file (the readers take paths) and read; a vssoff error (what a
// damaged file must give) is the expected outcome, anything else (another exception, a
// sanitizer report, a crash, a hang) is a finding. Built and run by scripts/fuzz.sh.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "codec/qp_map.h"
#include "core/coco.h"
#include "core/csv.h"
#include "core/error.h"
#include "core/log.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "link/trace.h"
#include "nn/model_card.h"
#include "penance/estimators.h"

namespace {

const std::string& work_dir() {
  static const std::string dir = [] {
    std::string d = (std::filesystem::temp_directory_path() / ("vssoff-fuzz-" + std::to_string(getpid()))).string();
    std::filesystem::create_directories(d);
    std::ofstream(d + "/w.pt") << "weights";  // a weights file for cards that name it
    vssoff::set_log_level(vssoff::LogLevel::kQuiet);
    return d;
  }();
  return dir;
}

std::string put(const std::string& name, const uint8_t* data, size_t size) {
  std::string path = work_dir() + "/" + name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

#define STR2(x) #x
#define STR(x) STR2(x)

void read_one(const uint8_t* data, size_t size) {
  const std::string target = STR(VSSOFF_FUZZ_TARGET);
  if (target == "npy") {
    vssoff::read_npy(put("a.npy", data, size));
  } else if (target == "csv") {
    vssoff::read_csv(put("a.csv", data, size));
  } else if (target == "trace") {
    vssoff::link::BandwidthTrace t = vssoff::link::read_trace(put("a.trace", data, size));
    t.mean_kbps(0, t.duration_s > 0 ? t.duration_s : 1);
  } else if (target == "coco") {
    const std::string path = put("a.json", data, size);
    try {
      vssoff::coco::read_dataset(path);
    } catch (const vssoff::Error&) {
    }
    vssoff::coco::read_results(path);
  } else if (target == "modelcard") {
    vssoff::nn::read_model_card(put("a.json", data, size));
  } else if (target == "estimators") {
    vssoff::penance::read_estimators(put("a.json", data, size));
  } else if (target == "qpmap") {
    // The manifest and its NPY: the input is split at the first NUL byte.
    const uint8_t* nul = static_cast<const uint8_t*>(memchr(data, 0, size));
    const size_t head = nul ? static_cast<size_t>(nul - data) : size;
    put("m.npy", nul ? nul + 1 : data + size, nul ? size - head - 1 : 0);
    vssoff::codec::read_qp_map(put("m.npy.json", data, head), {});
  } else {
    std::cerr << "unknown fuzz target " << target << "\n";
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    read_one(data, size);
  } catch (const vssoff::Error&) {
    // A clear error is the right answer to a damaged file.
  } catch (const std::exception& e) {
    std::cerr << "not a vssoff error: " << e.what() << "\n";
    std::abort();
  }
  return 0;
}
