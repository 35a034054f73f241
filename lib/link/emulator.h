// `vssoff link`: a user-space network emulator between an edge and a server, in its own
// process, as Mahimahi's mm-link and mm-delay are (the kernel's netem is not available on
// these machines). It listens on one address, and for every connection it accepts opens
// one to the server's address and forwards both directions, each shaped by its own
// link/shaper.h: a trace, a one-way delay, a bounded queue, optional random loss. The
// flows of a direction share its capacity and its queue, as they would share a cellular
// uplink. A connection that fails on one side is closed on the other, so an edge sees its
// server go away.
//
// The trace's time 0 is when the first connection is accepted (so that a replay starts at
// the start of its trace), or when the link starts, with trace_from_start.
//
// Log (optional): a CSV row per direction per interval: t_s (the interval's end, from
// the trace's start), direction (up, down), delivered_bytes (written to the far side in
// the interval), capacity_bytes (what the trace offered then), queued_bytes (at the end),
// lost_deliveries, connections. Rows are written whole and flushed as they are made, so an
// interrupted run leaves a complete file.
//
// Runs until stop() (from a signal); errors: UsageError (options), InputError (traces),
// RuntimeError naming the address that cannot be bound.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "link/shaper.h"

namespace vssoff::link {

struct LinkOptions {
  std::string listen = "127.0.0.1:0";  // host:port to listen on (port 0: any free one)
  std::string connect;                 // host:port of the server
  std::string up_trace, down_trace;    // "" = that direction is not shaped (no capacity limit)
  ShaperOptions up, down;              // delay, queue, loss of each direction
  std::string log;                     // CSV of delivered bytes per interval ("" = none)
  double log_interval_s = 0.1;
  bool trace_from_start = false;  // trace time 0 = the link's start, not the first connection
  std::string port_file;          // write the bound port here once listening ("" = none)
  bool force = false;             // replace an existing log
  void check() const;
};

class LinkEmulator {
 public:
  explicit LinkEmulator(const LinkOptions& options);  // binds; throws if it cannot
  ~LinkEmulator();
  int port() const;  // the port bound
  void run();        // until stop()
  void stop();       // thread- and signal-thread-safe

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "host:port" -> its parts; UsageError naming the option when it is not that.
void parse_address(const std::string& option, const std::string& text, std::string* host, int* port);

}  // namespace vssoff::link
