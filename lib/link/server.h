// `vssoff serve`: the server role of a replay. Listens on a TCP address (loopback by
// default), speaks link/protocol.h with any number of edges at once, and hands their
// requests to a Service (what the server knows how to do: link/segment_service.h today)
// on one worker thread, first come first served across edges, so that a busy server queues
// (the per-request log shows how long) and no edge starves.
//
// Per connection: the first message must be a hello, answered by a welcome (or an error,
// and the connection closed, when the service refuses it: another protocol version, a model
// it does not have). A message that breaks the protocol (bad magic, unknown kind, a size over
// the bounds, meta that is not JSON, a request before the hello), a connection idle for
// idle_timeout_s with nothing pending: an error message with the reason, then that
// connection alone is closed and the reason logged. A connection with max_pending requests
// waiting is not read until one is served (the edge is held back by TCP's flow control).
// A request the service cannot serve (an undecodable segment, an unknown model) gets an
// error reply with its sequence number; the connection stays.
//
// Log (optional): one CSV row per request or closed connection, written whole and flushed:
// time_s (since the server started), connection, peer, seq, kind, segment, model,
// request_bytes, receive_ms (first header byte read to last payload byte), queue_ms,
// serve_ms, reply_bytes, status ("ok", "error: ...", "closed: ...").
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/manifest.h"
#include "link/protocol.h"

namespace vssoff::link {

// What a server does with requests. describe() and check_hello() run on the network
// thread, serve() on the worker thread; never both at once for one object.
class Service {
 public:
  virtual ~Service() = default;
  // The welcome's meta (models and what they cost).
  virtual Json describe() const = 0;
  // Why a hello is refused ("" = accepted): a model the edge needs that is not loaded, ...
  virtual std::string check_hello(const Json& hello) const = 0;
  // The reply to one request (kind result, or error with the reason). ProtocolError or any
  // vssoff Error it throws becomes an error reply.
  virtual Message serve(const Message& request) = 0;
};

struct ServerOptions {
  std::string listen = "127.0.0.1:0";  // host:port (port 0: any free one)
  std::string log;                     // per-request CSV ("" = none)
  double idle_timeout_s = 30;          // close a connection silent this long with nothing pending
  uint32_t max_data_bytes = kDefaultMaxDataBytes;
  int max_pending = 16;   // requests one connection may have waiting
  std::string port_file;  // write the bound port here once listening
  bool force = false;     // replace an existing log
  void check() const;
};

class Server {
 public:
  Server(const ServerOptions& options, Service& service);  // binds; InputError if it cannot
  ~Server();
  int port() const;
  void run();   // until stop()
  void stop();  // thread- and signal-thread-safe

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vssoff::link
