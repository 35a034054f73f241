// The edge's side of a replay connection: connects to a server (or a link in front of
// one), says hello, sends requests and hands back their replies, and survives the server
// going away. Runs its own network thread; every method is thread-safe.
//
// Reconnection: when the connection fails (the server is killed, the link closes it), the
// client reconnects with exponential backoff (backoff_initial_s doubling to backoff_max_s),
// says hello again, and re-sends every request that has no reply yet, in sequence order. A
// reply to a request that already has one is dropped, so nothing is counted twice. After
// give_up_s without a connection the client fails (InputError from next_reply naming the
// address and the last error); a server that refuses the hello fails it at once. A request
// larger than the server takes (its welcome says) is refused by send(), InputError.
//
// Clock: each hello measures the offset between the server's monotonic clock and the edge's
// as server_us - (sent_us + received_us) / 2 (NTP's rule, exact when the two directions take
// equally long, off by at most half the round trip); the hello with the shortest round trip
// so far gives the offset server_to_edge_us() converts with.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/manifest.h"
#include "link/protocol.h"

namespace vssoff::link {

struct ClientOptions {
  std::string connect;          // host:port of the server or the link
  Json hello = Json::object();  // what the hello says besides protocol, version and clock
  double give_up_s = 20;        // fail after this long without a connection
  double backoff_initial_s = 0.1, backoff_max_s = 2;
  int send_buffer_bytes = 64 * 1024;  // SO_SNDBUF: keep the edge's kernel buffer small, so that
                                      // send times mean what the link accepted
  uint32_t max_data_bytes = kDefaultMaxDataBytes;
  void check() const;
};

// A reply and when its request went out (the last time it was sent) and it came back,
// all on the edge's clock.
struct Reply {
  Message message;
  int64_t send_start_us = 0, send_end_us = 0, arrived_us = 0;
  int sends = 0;  // 1, or more when a reconnect re-sent it
};

class Client {
 public:
  explicit Client(const ClientOptions& options);
  ~Client();
  // Connects and waits for the welcome; returns its meta. RuntimeError / InputError as above.
  Json start();
  // Queues a request (its seq is assigned here, from 1, and returned).
  uint64_t send(Message request);
  // The next reply, waiting up to timeout_s; nullopt on timeout. Throws when the client failed.
  std::optional<Reply> next_reply(double timeout_s);
  int64_t server_to_edge_us(int64_t server_us) const;
  int64_t clock_offset_us() const;      // server - edge
  int64_t hello_round_trip_us() const;  // of the hello that gave the offset: its error is at most half
  int reconnects() const;
  size_t unanswered() const;  // requests sent or queued with no reply yet
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vssoff::link
