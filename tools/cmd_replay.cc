// vssoff serve, link and replay: a camera and a server as two processes over TCP on
// loopback, through a user-space emulated network (lib/link).
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <sstream>
#include <thread>

#include "accmpeg/live.h"
#include "cbo/live.h"
#include "commands.h"
#include "common.h"
#include "core/fs.h"
#include "core/log.h"
#include "link/emulator.h"
#include "link/replay.h"
#include "link/segment_service.h"
#include "link/server.h"
#include "nn/model_card.h"
#include "penance/live.h"
#include "video/chart.h"

namespace vssoff::tools {

namespace {

void add_port_options(CLI::App* sub, std::string* listen, std::string* port_file) {
  sub->add_option("--listen", *listen, "Address to listen on, host:port (port 0: any free port)")
      ->capture_default_str();
  sub->add_option("--port-file", *port_file, "Write the port listened on to this file once listening");
}

// Runs a server or a link until a signal asks it to stop.
template <typename T>
void run_until_stopped(T& runner) {
  InterruptHook hook([&runner](int) { runner.stop(); });
  runner.run();
}

// A number as an argument for a spawned process, without losing digits.
std::string arg(double v) {
  std::ostringstream s;
  s << std::setprecision(17) << v;
  return s.str();
}

// The throughput a link delivered against its trace, per 1-s window (B14).
void plot_link_log(const std::string& log, const std::string& png, bool force) {
  const auto w = link::throughput_windows(log, 1.0);
  std::vector<double> t, delivered, capacity;
  for (const auto& x : w) {
    t.push_back(x.t0_s);
    delivered.push_back(x.delivered_kbps);
    capacity.push_back(x.capacity_kbps);
  }
  video::write_chart(
      png, "link: delivered throughput against the trace (1-s windows, uplink)", "time (s)",
      {{"kbit/s", {{"trace", t, capacity, {214, 39, 40}, true}, {"delivered", t, delivered, {31, 119, 180}, true}}}},
      force);
}

// A child vssoff process (serve or link) for --spawn-*: started with the same executable,
// ended by SIGTERM when this process ends (or dies: PR_SET_PDEATHSIG).
struct Child {
  pid_t pid = -1;
  std::string name;
  ~Child() {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; ++i)  // 5 s to stop cleanly
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (waitpid(pid, &status, WNOHANG) == 0) {
      log_warn("vssoff ", name, " (spawned) did not stop; killing it");
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
  }
};

std::unique_ptr<Child> spawn(const std::string& name, const std::vector<std::string>& args,
                             const std::string& port_file, double wait_s, int* port) {
  std::vector<std::string> argv = {"vssoff"};
  if (log_level() == LogLevel::kQuiet) argv.push_back("-q");  // the run's verbosity
  if (log_level() == LogLevel::kDebug) argv.push_back("-v");
  argv.push_back(name);
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--port-file");
  argv.push_back(port_file);
  std::vector<char*> c;
  for (auto& a : argv) c.push_back(a.data());
  c.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  check<RuntimeError>(pid >= 0, "cannot start vssoff ", name);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    execv("/proc/self/exe", c.data());
    _exit(127);
  }
  auto child = std::make_unique<Child>();
  child->pid = pid;
  child->name = name;
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  while (!std::filesystem::exists(port_file)) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      child->pid = -1;
      throw InputError(cat("vssoff ", name, " (spawned) ended before listening; see its messages above"));
    }
    check<InputError>(std::chrono::steady_clock::now() < until, "vssoff ", name, " (spawned) did not listen within ",
                      wait_s, " s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *port = std::stoi(read_file(port_file));
  return child;
}

}  // namespace

void setup_serve(CLI::App& app) {
  struct Options {
    link::ServerOptions server;
    std::vector<std::string> models;
    std::string model_dir;
    nn::SegmenterOptions segmenter;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub =
      add_subcommand(app, "serve", "Server role of a replay: receive segments, run models, return results", [=] {
        link::SegmentService service(opt->models, opt->segmenter, opt->model_dir);
        link::Server server(opt->server, service);
        run_until_stopped(server);
      });
  sub->add_option("--model", opt->models, "Server model (card or TorchScript), loaded at start; repeat for several");
  sub->add_option("--model-dir", opt->model_dir,
                  "Load a model an edge asks for by name from DIR/NAME.json (cards only), when it asks");
  add_port_options(sub, &opt->server.listen, &opt->server.port_file);
  sub->add_option("--log", opt->server.log, "Per-request CSV log");
  sub->add_option("--idle-timeout", opt->server.idle_timeout_s, "Close a connection silent this long (s)")
      ->capture_default_str();
  sub->add_option("--max-message", opt->server.max_data_bytes, "Largest payload accepted (bytes)")
      ->capture_default_str();
  sub->add_option("--max-pending", opt->server.max_pending, "Requests one connection may have waiting")
      ->capture_default_str();
  sub->add_option("--threads", opt->segmenter.threads, "Inference threads (0 = the thread budget)")
      ->capture_default_str();
  sub->add_flag("--force", opt->server.force, "Replace an existing log");
}

void setup_link(CLI::App& app) {
  struct Options {
    link::LinkOptions link;
    double delay_ms = 0, loss = 0;
    int64_t queue_bytes = 256 * 1024;
    uint64_t seed = 1;
    std::string plot;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub =
      add_subcommand(app, "link", "Network emulator between edge and server: trace, delay, queue, loss", [=] {
        link::LinkOptions o = opt->link;
        o.up.delay_ms = o.down.delay_ms = opt->delay_ms;
        o.up.queue_bytes = o.down.queue_bytes = opt->queue_bytes;
        o.up.loss = o.down.loss = opt->loss;
        o.up.seed = opt->seed;
        o.down.seed = opt->seed + 1;
        check<UsageError>(opt->plot.empty() || (!o.log.empty() && !o.up_trace.empty()),
                          "--plot draws the uplink's log against its trace: give --log and --up-trace too");
        if (!opt->plot.empty()) check_output_path(opt->plot, o.force);
        link::LinkEmulator emulator(o);
        run_until_stopped(emulator);
        if (!opt->plot.empty()) plot_link_log(o.log, opt->plot, o.force);
      });
  sub->add_option("--connect", opt->link.connect, "The server's address, host:port")->required();
  add_port_options(sub, &opt->link.listen, &opt->link.port_file);
  sub->add_option("--up-trace", opt->link.up_trace, "Uplink (edge to server) trace: Mahimahi or CSV time_s,kbps");
  sub->add_option("--down-trace", opt->link.down_trace, "Downlink trace (default: not shaped)");
  sub->add_option("--delay-ms", opt->delay_ms, "One-way propagation delay of each direction (ms)")
      ->capture_default_str();
  sub->add_option("--queue-bytes", opt->queue_bytes, "Drop-tail queue of each direction (bytes)")
      ->capture_default_str();
  sub->add_option("--loss", opt->loss, "Probability that a 1500-byte delivery is lost")->capture_default_str();
  sub->add_option("--seed", opt->seed, "Seed of the loss draws")->capture_default_str();
  sub->add_option("--log", opt->link.log, "CSV of delivered and offered bytes per interval");
  sub->add_option("--log-interval", opt->link.log_interval_s, "Log interval (s)")->capture_default_str();
  sub->add_option("--plot", opt->plot, "PNG of delivered throughput against the trace, drawn from --log at the end");
  sub->add_flag("--trace-from-start", opt->link.trace_from_start,
                "Start the trace when the link starts (default: at the first connection)");
  sub->add_flag("--force", opt->link.force, "Replace existing outputs");
}

void setup_replay(CLI::App& app) {
  struct Options {
    link::ReplayOptions replay;
    std::string system = "accmpeg", server_model;
    accmpeg::LiveOptions accmpeg;
    penance::LiveOptions penance;
    cbo::LiveOptions cbo;
    bool no_clean = false;
    // --spawn-server / --spawn-link
    bool spawn_server = false, spawn_link = false;
    std::vector<std::string> serve_models;
    std::string up_trace, down_trace;
    double delay_ms = 0, loss = 0;
    int64_t queue_bytes = 256 * 1024;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub =
      add_subcommand(app, "replay", "Edge role: stream a video through a system's camera loop to a server", [=] {
        Options& o = *opt;
        link::ReplayOptions r = o.replay;
        check<UsageError>(o.system == "accmpeg" || o.system == "uniform" || o.system == "penance" || o.system == "cbo",
                          "--system: \"", o.system, "\"; give accmpeg, uniform, penance or cbo");
        if (o.system != "penance") {
          check<UsageError>(!o.server_model.empty(), "--system ", o.system, ": give --server-model (a card)");
          o.accmpeg.server_model = nn::read_model_card(o.server_model).name;
          if (o.serve_models.empty()) o.serve_models.push_back(o.server_model);
        }
        o.accmpeg.params.clean = !o.no_clean;
        o.accmpeg.score_frames = o.penance.score_frames;
        o.accmpeg.preset = o.penance.preset;
        check<UsageError>(!r.connect.empty() || o.spawn_server, "give --connect host:port, or --spawn-server");
        check<UsageError>(!o.spawn_link || o.spawn_server || !r.connect.empty(), "--spawn-link needs a server");
        check<UsageError>(!o.spawn_server || !o.serve_models.empty(), "--spawn-server: give --serve-model");
        check<UsageError>(o.system != "penance" || !r.ground_truth.empty(),
                          "--system penance learns from the accuracy of what it served: give --ground-truth");
        if (o.system == "cbo") {
          check<UsageError>(r.segment_frames == 1, "--system cbo decides per frame: give --segment-frames 1");
          o.cbo.ground_truth = r.ground_truth;
          o.cbo.check();
        }
        check_output_path(r.output, r.force);
        // Children first (they take a while to load models), then the camera's own models.
        const std::string base = link::replay_output_stem(r.output);
        const std::string dir = std::filesystem::path(r.output).parent_path().string();
        const std::string run_dir = (dir.empty() ? std::string(".") : dir) + "/.replay-" + std::to_string(getpid());
        make_directories(run_dir);
        struct Cleanup {
          std::string d;
          ~Cleanup() { std::filesystem::remove_all(d); }
        } cleanup{run_dir};
        std::unique_ptr<Child> server, link_child;
        if (o.spawn_server) {
          std::vector<std::string> args = {"--log", base + ".server.csv"};
          for (const std::string& m : o.serve_models) args.insert(args.end(), {"--model", m});
          if (r.force) args.push_back("--force");
          int port = 0;
          server = spawn("serve", args, run_dir + "/server.port", 120, &port);
          r.connect = "127.0.0.1:" + std::to_string(port);
        }
        if (o.spawn_link) {
          std::vector<std::string> args = {
              "--connect",  r.connect,       "--log",         base + ".link.csv",
              "--delay-ms", arg(o.delay_ms), "--queue-bytes", std::to_string(o.queue_bytes),
              "--loss",     arg(o.loss)};
          if (!o.up_trace.empty()) args.insert(args.end(), {"--up-trace", o.up_trace});
          if (!o.down_trace.empty()) args.insert(args.end(), {"--down-trace", o.down_trace});
          if (r.force) args.push_back("--force");
          int port = 0;
          link_child = spawn("link", args, run_dir + "/link.port", 30, &port);
          r.connect = "127.0.0.1:" + std::to_string(port);
          if (r.trace.empty()) r.trace = o.up_trace;
        }
        std::unique_ptr<link::CameraLoop> loop;
        if (o.system == "accmpeg") loop = std::make_unique<accmpeg::AccMpegLoop>(o.accmpeg);
        if (o.system == "uniform") loop = std::make_unique<accmpeg::UniformQpLoop>(o.accmpeg);
        if (o.system == "penance") loop = std::make_unique<penance::PenanceLoop>(o.penance);
        if (o.system == "cbo") {
          o.cbo.server_model = o.accmpeg.server_model, o.cbo.ground_truth = r.ground_truth;
          o.cbo.preset = o.penance.preset;
          loop = std::make_unique<cbo::CboLoop>(o.cbo);
        }
        const link::ReplaySummary s = link::run_replay(r, *loop);
        log_info("wrote ", r.output, ": ", s.segments, " segments (", s.dropped, " dropped, ", s.errors,
                 " without a result), ", std::llround(s.bytes), " bytes, delay mean ", s.mean_delay_s, " s, p95 ",
                 s.p95_delay_s, " s", std::isfinite(s.mean_accuracy) ? cat(", mIoU ", s.mean_accuracy) : "");
      });
  sub->add_option("input", opt->replay.input, "The camera's video")->required();
  sub->add_option("-o,--output", opt->replay.output, "Per-segment CSV (OUT.frames.csv and OUT.csv.json beside it)")
      ->required();
  sub->add_option("--connect", opt->replay.connect, "The server's (or a link's) address, host:port");
  sub->add_option(
         "--system", opt->system,
         "Camera-side loop: accmpeg, uniform (AWStream-style QP), penance or cbo (per frame: --segment-frames 1)")
      ->capture_default_str();
  sub->add_option("--server-model", opt->server_model, "accmpeg, uniform, cbo: the server model's card");
  sub->add_option("--ground-truth", opt->replay.ground_truth, "Labels (dir of PNGs or a synth output): accuracy");
  sub->add_option("--plot", opt->replay.plot, "PNG: throughput against the trace, delay, accuracy over time");
  sub->add_option("--trace", opt->replay.trace, "The uplink trace to draw in --plot");
  sub->add_option("--segment-frames", opt->replay.segment_frames, "Frames per segment (its own GOP)")
      ->capture_default_str();
  sub->add_option("--frames", opt->replay.max_frames, "Stop after this many frames (-1 = all)")->capture_default_str();
  sub->add_option("--max-queue", opt->replay.max_queue, "Segments waiting for results before the camera drops one")
      ->capture_default_str();
  sub->add_option("--initial-kbps", opt->replay.initial_kbps, "Bandwidth estimate before the first result")
      ->capture_default_str();
  sub->add_option("--give-up", opt->replay.give_up_s, "Fail after this long without a server (s)")
      ->capture_default_str();
  sub->add_option("--drain", opt->replay.drain_s, "Wait this long for the last results (s)")->capture_default_str();
  sub->add_flag("--fast", opt->replay.fast, "As fast as possible, not at the frame rate");
  sub->add_option("--score-frames", opt->penance.score_frames, "Frames of a segment the server scores (0 = all)")
      ->capture_default_str();
  sub->add_option("--preset", opt->penance.preset, "x264 preset")->capture_default_str();
  // accmpeg
  sub->add_option("--cheap-model", opt->accmpeg.cheap_model, "accmpeg: the cheap model's card");
  sub->add_option("--sample", opt->accmpeg.sample, "accmpeg: frames the cheap model scores: ends, first or all")
      ->capture_default_str();
  sub->add_option("--top", opt->accmpeg.params.top_percent, "accmpeg: share of macroblocks (%) at --qp-hi")
      ->capture_default_str();
  sub->add_option("--threshold", opt->accmpeg.params.threshold, "accmpeg: instead of --top, importance above this");
  sub->add_option("--dilate", opt->accmpeg.params.dilate, "accmpeg: grow important regions (macroblocks)")
      ->capture_default_str();
  sub->add_flag("--no-clean", opt->no_clean, "accmpeg: skip the 3x3 opening and closing");
  sub->add_option("--qp-hi", opt->accmpeg.params.qp_hi, "accmpeg: QP of important macroblocks")->capture_default_str();
  sub->add_option("--qp-lo", opt->accmpeg.params.qp_lo, "accmpeg: QP of the rest")->capture_default_str();
  sub->add_option("--graded", opt->accmpeg.params.graded,
                  "accmpeg: QP steps per doubling of importance (0 = two levels)")
      ->capture_default_str();
  sub->add_option("--qp-mean", opt->accmpeg.params.qp_mean, "accmpeg, graded: QP at the mean importance")
      ->capture_default_str();
  // uniform
  sub->add_option("--qps", opt->accmpeg.qps, "uniform: QPs to choose from")->delimiter(',')->capture_default_str();
  sub->add_option("--initial-qp", opt->accmpeg.initial_qp, "uniform: QP of the first segment")->capture_default_str();
  sub->add_option("--rate-margin", opt->accmpeg.bw_margin, "uniform: share of the estimate left unused")
      ->capture_default_str();
  // penance
  sub->add_option("--estimators", opt->penance.estimators, "penance: estimators (train-estimators)");
  sub->add_option("--policy", opt->penance.policy, "penance: a policy of plan's that needs no hindsight")
      ->capture_default_str();
  sub->add_option("--target", opt->penance.target, "penance: accuracy (mIoU) target")->capture_default_str();
  sub->add_option("--acc-margin", opt->penance.params.acc_margin, "penance: starting accuracy margin")
      ->capture_default_str();
  sub->add_option("--bw-margin", opt->penance.params.bw_margin, "penance: starting bandwidth margin")
      ->capture_default_str();
  sub->add_option("--acc-feedback", opt->penance.params.acc_feedback, "penance: rate of correcting predictions")
      ->capture_default_str();
  sub->add_option("--confidence", opt->penance.params.confidence, "penance: prediction-error SDs to allow for")
      ->capture_default_str();
  sub->add_option("--threads", opt->penance.threads, "x264 threads (0 = x264's rule)")->capture_default_str();
  // cbo
  sub->add_option("--edge-model", opt->cbo.edge_model, "cbo: the on-device model (card or TorchScript)");
  sub->add_option("--calibrator", opt->cbo.calibrator, "cbo: its pixel-level calibrator");
  sub->add_option("--frame-calibrator", opt->cbo.frame_calibrator, "cbo: its frame-level calibrator");
  sub->add_option("--train", opt->cbo.train, "cbo: training offload profiles (gain model, scales, QP)")->delimiter(',');
  sub->add_option("--deadline-ms", opt->cbo.deadline_ms, "cbo: a frame's result is due this long after capture")
      ->capture_default_str();
  sub->add_option("--rtt-ms", opt->cbo.rtt_ms, "cbo: round-trip delay it plans with (ms)")->capture_default_str();
  sub->add_option("--bw-share", opt->cbo.bw_share, "cbo: share of the bandwidth estimate it plans with")
      ->capture_default_str();
  sub->add_option("--price-scale", opt->cbo.price_scale, "cbo: multiplier of its price of the sender's time")
      ->capture_default_str();
  // one command for all three
  sub->add_flag("--spawn-server", opt->spawn_server, "Start a `vssoff serve` for this run (log: OUT.server.csv)");
  sub->add_option("--serve-model", opt->serve_models, "--spawn-server: its models (default: --server-model)");
  sub->add_flag("--spawn-link", opt->spawn_link, "Start a `vssoff link` in front of the server (log: OUT.link.csv)");
  sub->add_option("--up-trace", opt->up_trace, "--spawn-link: uplink trace");
  sub->add_option("--down-trace", opt->down_trace, "--spawn-link: downlink trace");
  sub->add_option("--delay-ms", opt->delay_ms, "--spawn-link: one-way delay (ms)")->capture_default_str();
  sub->add_option("--queue-bytes", opt->queue_bytes, "--spawn-link: queue of each direction (bytes)")
      ->capture_default_str();
  sub->add_option("--loss", opt->loss, "--spawn-link: delivery loss probability")->capture_default_str();
  sub->add_flag("--force", opt->replay.force, "Replace existing outputs");
}

}  // namespace vssoff::tools
