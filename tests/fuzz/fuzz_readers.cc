// libFuzzer targets for the readers of outside input. One source, one binary per reader:
// VSSOFF_FUZZ_TARGET names it (npy, csv, trace, coco, modelcard, estimators, qpmap, accgrad,
// profile, partial, labels, config, message, calibrator, offload). Each input is written to a file (the readers take
// paths) and read; a vssoff error (what a damaged file must give; for config, a CLI11 parse error) is the expected
// outcome, anything else (another exception, a sanitizer report, a crash, a hang) is a finding. Built and run by
// scripts/fuzz.sh.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "accmpeg/accgrad.h"
#include "accmpeg/qp_maps.h"
#include "app.h"
#include "cbo/calibrator.h"
#include "cbo/offload_profile.h"
#include "codec/qp_map.h"
#include "core/coco.h"
#include "core/csv.h"
#include "core/error.h"
#include "core/log.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "link/protocol.h"
#include "link/shaper.h"
#include "link/trace.h"
#include "metrics/evaluate_segmentation.h"
#include "nn/model_card.h"
#include "penance/estimators.h"
#include "penance/profile.h"
#include "penance/table.h"

namespace {

// A scratch directory per process (under TMPDIR), removed at exit.
struct WorkDir {
  std::string path = (std::filesystem::temp_directory_path() / ("vssoff-fuzz-" + std::to_string(getpid()))).string();
  WorkDir() {
    std::filesystem::create_directories(path);
    std::ofstream(path + "/w.pt") << "weights";  // a weights file for cards that name it
    vssoff::set_log_level(vssoff::LogLevel::kQuiet);
  }
  ~WorkDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

const std::string& work_dir() {
  static const WorkDir dir;
  return dir.path;
}

std::string put(const std::string& name, const uint8_t* data, size_t size) {
  std::string path = work_dir() + "/" + name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

// Artefacts of two files (a manifest or settings record and its payload): the input split at
// its first NUL byte, the first part written to `first`, the rest to `second`.
void put_pair(const std::string& first, const std::string& second, const uint8_t* data, size_t size) {
  const uint8_t* nul = static_cast<const uint8_t*>(memchr(data, 0, size));
  const size_t head = nul ? static_cast<size_t>(nul - data) : size;
  put(second, nul ? nul + 1 : data + size, nul ? size - head - 1 : 0);
  put(first, data, head);
}

// The run that made the seeds of `partial` (testdata/fuzz/partial/): what an interrupted
// profile of a 20-frame synth clip with segnet-tiny, QPs 30 and 40, scale 1 and 5-frame
// segments left in OUT.partial and OUT.partial.json (paths shortened); --resume checks both
// against it.
const char kPartialKey[] = R"({"acc_frames": 0, "ground_truth": "clip",
  "models": ["ebe088c69390ff9aa91c4258e561e7fb7a614eb3ffb1bfbe57512fd55756753c"], "preset": "veryfast",
  "qps": [30, 40], "reference_model": "", "scales": [1.0], "segment_frames": 5, "server_input": "sent",
  "shard": [0, 1], "video": "clip/video.mp4"})";
const char kPartialHeader[] =
    "segment,first_frame,frames,model,qp,scale,width,height,bytes,kbps,miou,pixel_accuracy,gflops,intra_complexity,"
    "inter_complexity,probe_bytes_qp26,probe_bytes_qp38,mean_max_prob,mean_norm_entropy,mean_margin,"
    "frac_maxprob_below_0.5,frac_maxprob_below_0.7,frac_maxprob_below_0.9,share_0,share_1,share_2,share_3,share_4,"
    "share_5,share_6,share_7,conf_0,conf_1,conf_2,conf_3,conf_4,conf_5,conf_6,conf_7";
const size_t kPartialActions = 2;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t begin = 0;
  for (size_t end; (end = s.find(',', begin)) != std::string::npos; begin = end + 1)
    out.push_back(s.substr(begin, end - begin));
  out.push_back(s.substr(begin));
  return out;
}

// The config target's app: vssoff's own (tools/app.h), which throws OptionsRead once the
// options are read and checked, before any subcommand runs (the top app's parse-complete
// callback comes before the subcommands' callbacks).
struct OptionsRead {};
CLI::App& config_app() {
  static CLI::App* app = [] {
    auto* a = new CLI::App("vssoff", "vssoff");
    vssoff::tools::setup_app(*a);
    a->parse_complete_callback([] { throw OptionsRead(); });
    return a;
  }();
  return *app;
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
    const vssoff::link::DeliverySchedule s(t);  // the link emulator's reading of it
    const int64_t end = 3 * s.period_us();
    for (int64_t at : {int64_t(0), s.period_us() - 1, s.period_us(), end}) s.first_at_or_after(at);
    vssoff::link::Shaper shaper(s, {}, 0);
    std::vector<vssoff::link::Delivery> out;
    shaper.enqueue(0, 1, shaper.room());
    shaper.serve(std::min<int64_t>(end, 10000000), &out);
  } else if (target == "message") {
    // A replay protocol message as a server or an edge reads one.
    const vssoff::link::Message m =
        vssoff::link::decode_message(std::string_view(reinterpret_cast<const char*>(data), size), 1 << 20);
    for (const char* key : {"segment", "model", "packets", "score"}) {
      try {
        vssoff::link::meta_get<std::string>(m, key);
      } catch (const vssoff::link::ProtocolError&) {
      }
    }
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
    // The manifest and its NPY.
    put_pair("m.npy.json", "m.npy", data, size);
    vssoff::codec::read_qp_map(work_dir() + "/m.npy.json", {});
  } else if (target == "accgrad") {
    // The manifest and its NPY, read and turned into QP maps as qpmap --importance does for
    // the seeds' video (64x48, 20 frames).
    put_pair("a.npy.json", "a.npy", data, size);
    const vssoff::accmpeg::AccGrad g = vssoff::accmpeg::read_accgrad(work_dir() + "/a.npy");
    if (g.width == 64 && g.height == 48)
      vssoff::accmpeg::qp_map_from_importance(g.frame_indices, g.values, g.rows, g.cols, g.width, g.height, 20, {});
  } else if (target == "calibrator") {
    // A calibrator as segment and plan read it, and the calibration segment would apply.
    const vssoff::cbo::Calibrator c = vssoff::cbo::read_calibrator(put("c.json", data, size));
    if (c.level == "pixel") {
      const vssoff::nn::ConfidenceCalibration cal = c.for_segmenter();
      for (float p : {0.0f, 0.3f, 1.0f}) (void)cal.map(p);
    } else {
      (void)c.frame.predict(std::vector<double>(c.frame.features.size(), 0.5));
    }
  } else if (target == "offload") {
    // An offload profile's manifest and its CSV, as calibrate and plan read them.
    put_pair("o.csv.json", "o.csv", data, size);
    vssoff::cbo::read_offload_profile(work_dir() + "/o.csv");
  } else if (target == "profile") {
    // A profile table's manifest and its CSV, read as train-estimators and plan read it, then
    // merged as profile-merge joins shards.
    put_pair("p.csv.json", "p.csv", data, size);
    const std::string path = work_dir() + "/p.csv";
    try {
      vssoff::penance::read_profile_table(path);
    } catch (const vssoff::Error&) {
    }
    vssoff::penance::profile_merge({path}, work_dir() + "/merged.csv", true);
  } else if (target == "partial") {
    // profile --resume: OUT.partial.json and OUT.partial, against the seeds' run.
    put_pair("r.csv.partial.json", "r.csv.partial", data, size);
    static const vssoff::Json key = vssoff::Json::parse(kPartialKey);
    static const std::vector<std::string> header = split_commas(kPartialHeader);
    std::vector<std::vector<std::string>> rows;
    vssoff::penance::read_complete_segments(work_dir() + "/r.csv.partial", key, header, kPartialActions, &rows);
  } else if (target == "labels") {
    // The manifest.json of a segment or synth output directory, opened as evaluate (and
    // profile's --ground-truth) open a label set; the directory holds labels/000000.png.
    const std::string dir = work_dir() + "/labels";
    static const bool made = [&] {
      std::filesystem::create_directories(dir + "/labels");
      std::ofstream(dir + "/labels/000000.png") << "png";
      return true;
    }();
    (void)made;
    put("labels/manifest.json", data, size);
    vssoff::metrics::open_label_set(dir);
  } else if (target == "config") {
    // A --config file, read as `vssoff --config FILE` reads it (every [subcommand] section),
    // and as `vssoff --config FILE SUBCOMMAND` reads it for each subcommand with a section.
    const std::string path = put("c.ini", data, size);
    const std::string text(reinterpret_cast<const char*>(data), size);
    CLI::App& app = config_app();
    static const std::vector<std::string> subs = [&] {
      std::vector<std::string> names = {""};
      for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
      return names;
    }();
    for (const std::string& sub : subs) {
      if (!sub.empty() && text.find("[" + sub + "]") == std::string::npos) continue;
      std::vector<const char*> argv = {"vssoff", "--config", path.c_str()};
      if (!sub.empty()) argv.push_back(sub.c_str());
      try {
        app.parse(static_cast<int>(argv.size()), argv.data());
      } catch (const OptionsRead&) {
      } catch (const CLI::Error&) {  // a parse error (exit 1), or --help/--version (exit 0)
      }
    }
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
