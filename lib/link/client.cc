#include "link/client.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "core/version.h"
#include "link/emulator.h"
#include "link/net.h"

namespace vssoff::link {

void ClientOptions::check() const {
  vssoff::check<UsageError>(!connect.empty(), "give the server's address (host:port)");
  vssoff::check<UsageError>(give_up_s > 0, "give-up time: ", give_up_s, " s; give a positive time");
  vssoff::check<UsageError>(backoff_initial_s > 0 && backoff_max_s >= backoff_initial_s, "backoff: ", backoff_initial_s,
                            " to ", backoff_max_s, " s");
}

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
  ClientOptions opt;
  tcp::endpoint server;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::unique_ptr<tcp::socket> socket;
  asio::steady_timer retry{io};
  std::array<uint8_t, kHeaderBytes> header{};
  std::string payload;
  MessageHeader h;

  struct Pending {
    std::string bytes;
    int64_t send_start_us = 0, send_end_us = 0;
    int sends = 0;
  };
  // Guarded by mutex (touched by the network thread and callers).
  mutable std::mutex mutex;
  std::condition_variable changed;
  std::map<uint64_t, Pending> pending;  // no reply yet
  std::deque<Reply> replies;
  uint64_t next_seq = 1;
  bool welcomed = false, failed = false, stopped = false;
  std::string failure, last_error;
  Json welcome;
  int64_t offset_us = 0, best_rtt_us = -1;
  uint32_t server_max_data = kDefaultMaxDataBytes;  // the server's bound on a request, from the welcome
  int reconnect_count = 0;
  int64_t down_since_us = 0;
  double backoff_s = 0;
  // Network thread only.
  std::deque<uint64_t> to_write;
  bool writing = false, connected = false;
  int64_t hello_sent_us = 0;
  int generation = 0;  // of the current socket: callbacks of a dead one are ignored

  void fail(const std::string& why) {
    std::lock_guard<std::mutex> lock(mutex);
    if (failed) return;
    failed = true;
    failure = why;
    changed.notify_all();
  }

  void connect() {
    const int gen = ++generation;
    socket = std::make_unique<tcp::socket>(io);
    connected = false;
    writing = false;
    to_write.clear();
    socket->async_connect(server, [self = shared_from_this(), gen](const asio::error_code& ec) {
      if (gen != self->generation) return;
      if (ec) return self->lost(gen, ec.message());
      asio::error_code e;
      self->socket->set_option(tcp::no_delay(true), e);
      self->socket->set_option(asio::socket_base::send_buffer_size(self->opt.send_buffer_bytes), e);
      self->connected = true;
      Message hello;
      hello.kind = MessageKind::kHello;
      hello.meta = self->opt.hello;
      hello.meta["protocol"] = kProtocolVersion;
      hello.meta["vssoff"] = vssoff_version();
      self->hello_sent_us = monotonic_us();
      hello.meta["client_us"] = self->hello_sent_us;
      self->write_raw(gen, std::make_shared<std::string>(encode_message(hello)), 0);
      self->read_header(gen);
    });
  }

  // The connection is gone: retry after the backoff, or give up.
  void lost(int gen, const std::string& why) {
    if (gen != generation) return;
    ++generation;  // ignore the dead socket's other callbacks
    asio::error_code ignored;
    if (socket) socket->close(ignored);
    connected = false;
    const int64_t now = monotonic_us();
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (stopped || failed) return;
      last_error = why;
      if (welcomed) {
        welcomed = false;
        down_since_us = now;
        backoff_s = opt.backoff_initial_s;
        log_warn("lost the server at ", server, " (", why, "); reconnecting");
      }
    }
    if ((now - down_since_us) / 1e6 > opt.give_up_s)
      return fail(cat("cannot reach the server at ", server, " for ", opt.give_up_s, " s (last error: ", why, ")"));
    retry.expires_after(std::chrono::microseconds(std::llround(backoff_s * 1e6)));
    backoff_s = std::min(backoff_s * 2, opt.backoff_max_s);
    retry.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->connect();
    });
  }

  void read_header(int gen) {
    asio::async_read(
        *socket, asio::buffer(header), [self = shared_from_this(), gen](const asio::error_code& ec, size_t) {
          if (gen != self->generation) return;
          if (ec) return self->lost(gen, ec == asio::error::eof ? "closed by the other side" : ec.message());
          try {
            self->h = decode_header(self->header.data(), self->opt.max_data_bytes);
          } catch (const ProtocolError& e) {
            return self->lost(gen, e.what());
          }
          self->payload.resize(size_t(self->h.meta_bytes) + self->h.data_bytes);
          asio::async_read(*self->socket, asio::buffer(self->payload), [self, gen](const asio::error_code& e2, size_t) {
            if (gen != self->generation) return;
            if (e2) return self->lost(gen, e2.message());
            self->handle(gen, monotonic_us());
          });
        });
  }

  void handle(int gen, int64_t now) {
    try {
      handle_message(gen, now);
    } catch (const std::exception& e) {  // a field of the wrong JSON type from the server
      lost(gen, cat("a malformed ", kind_name(h.kind), " message: ", e.what()));
    }
  }

  void handle_message(int gen, int64_t now) {
    Message m;
    m.kind = h.kind;
    m.seq = h.seq;
    try {
      m.meta = decode_meta(std::string_view(payload).substr(0, h.meta_bytes));
    } catch (const ProtocolError& e) {
      return lost(gen, e.what());
    }
    m.data = payload.substr(h.meta_bytes);
    if (m.kind == MessageKind::kWelcome) {
      const int64_t server_us = m.meta.value("server_us", int64_t(0));
      std::vector<uint64_t> resend;
      {
        std::lock_guard<std::mutex> lock(mutex);
        // NTP's minimum-delay filter: keep the offset of the hello with the shortest round
        // trip (a hello that waited in a queue, or behind a reconnect's stale bytes, is off
        // by half its wait).
        const int64_t rtt = now - hello_sent_us;
        if (best_rtt_us < 0 || rtt < best_rtt_us) best_rtt_us = rtt, offset_us = server_us - (hello_sent_us + now) / 2;
        server_max_data = m.meta.value("max_data_bytes", kDefaultMaxDataBytes);
        if (!welcome.is_null()) ++reconnect_count;
        welcome = m.meta;
        welcomed = true;
        for (auto& [seq, p] : pending) resend.push_back(seq);
        changed.notify_all();
      }
      if (reconnect_count > 0 && !resend.empty())
        log_info("reconnected to ", server, "; re-sending ", resend.size(), " unanswered requests");
      to_write.assign(resend.begin(), resend.end());  // every unanswered request once, in order
      pump_writes(gen);
    } else if (m.kind == MessageKind::kError && m.meta.value("fatal", false)) {
      const std::string reason = m.meta.value("reason", std::string("no reason given"));
      bool before_welcome;
      {
        std::lock_guard<std::mutex> lock(mutex);
        before_welcome = !welcomed;
      }
      if (before_welcome) return fail(cat("the server at ", server, " refused: ", reason));
      return lost(gen, cat("the server closed the connection: ", reason));
    } else if (m.kind == MessageKind::kResult || m.kind == MessageKind::kError) {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = pending.find(m.seq);
      if (it != pending.end()) {  // else: a reply already had; dropped
        replies.push_back({std::move(m), it->second.send_start_us, it->second.send_end_us, now, it->second.sends});
        pending.erase(it);
        changed.notify_all();
      }
    } else {
      return lost(gen, cat("unexpected ", kind_name(m.kind), " message from the server"));
    }
    read_header(gen);
  }

  void pump_writes(int gen) {
    if (writing || !connected || gen != generation) return;
    while (!to_write.empty()) {
      const uint64_t seq = to_write.front();
      to_write.pop_front();
      std::shared_ptr<std::string> bytes;
      {
        std::lock_guard<std::mutex> lock(mutex);
        auto it = pending.find(seq);
        if (it == pending.end()) continue;  // answered meanwhile
        it->second.send_start_us = monotonic_us();
        ++it->second.sends;
        bytes = std::make_shared<std::string>(it->second.bytes);
      }
      return write_raw(gen, bytes, seq);
    }
  }

  void write_raw(int gen, std::shared_ptr<std::string> bytes, uint64_t seq) {
    writing = true;
    asio::async_write(*socket, asio::buffer(*bytes),
                      [self = shared_from_this(), gen, bytes, seq](const asio::error_code& ec, size_t) {
                        if (gen != self->generation) return;
                        self->writing = false;
                        if (ec) return self->lost(gen, ec.message());
                        if (seq != 0) {
                          std::lock_guard<std::mutex> lock(self->mutex);
                          auto it = self->pending.find(seq);
                          if (it != self->pending.end()) it->second.send_end_us = monotonic_us();
                        }
                        bool ready;
                        {
                          std::lock_guard<std::mutex> lock(self->mutex);
                          ready = self->welcomed;
                        }
                        if (ready) self->pump_writes(gen);
                      });
  }
};

Client::Client(const ClientOptions& opt) : impl_(std::make_shared<Impl>()) {
  opt.check();
  impl_->opt = opt;
  std::string host;
  int port = 0;
  parse_address("--connect", opt.connect, &host, &port);
  check<UsageError>(port > 0, "give the server's port (host:port)");
  impl_->server = make_endpoint("--connect", host, port);
}

Client::~Client() { stop(); }

Json Client::start() {
  Impl& m = *impl_;
  m.down_since_us = monotonic_us();
  m.backoff_s = m.opt.backoff_initial_s;
  asio::post(m.io, [self = impl_] { self->connect(); });
  m.thread = std::thread([self = impl_] { self->io.run(); });
  std::unique_lock<std::mutex> lock(m.mutex);
  m.changed.wait(lock, [&] { return m.welcomed || m.failed; });
  if (m.failed) throw InputError(m.failure);
  m.down_since_us = 0;
  return m.welcome;
}

uint64_t Client::send(Message request) {
  Impl& m = *impl_;
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    check<InputError>(request.data.size() <= m.server_max_data, "a request of ", request.data.size(),
                      " bytes; the server takes at most ", m.server_max_data, " (its --max-message)");
    seq = m.next_seq++;
    request.seq = seq;
    m.pending[seq].bytes = encode_message(request);
  }
  asio::post(m.io, [self = impl_, seq] {
    self->to_write.push_back(seq);
    bool ready;
    {
      std::lock_guard<std::mutex> lock(self->mutex);
      ready = self->welcomed;
    }
    if (ready) self->pump_writes(self->generation);
  });
  return seq;
}

std::optional<Reply> Client::next_reply(double timeout_s) {
  Impl& m = *impl_;
  std::unique_lock<std::mutex> lock(m.mutex);
  m.changed.wait_for(lock, std::chrono::microseconds(std::llround(timeout_s * 1e6)),
                     [&] { return !m.replies.empty() || m.failed; });
  if (!m.replies.empty()) {
    Reply r = std::move(m.replies.front());
    m.replies.pop_front();
    return r;
  }
  if (m.failed) throw InputError(m.failure);
  return std::nullopt;
}

int64_t Client::clock_offset_us() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->offset_us;
}

int64_t Client::server_to_edge_us(int64_t server_us) const { return server_us - clock_offset_us(); }

int64_t Client::hello_round_trip_us() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->best_rtt_us;
}

int Client::reconnects() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->reconnect_count;
}

size_t Client::unanswered() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->pending.size();
}

void Client::stop() {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    if (m.stopped) return;
    m.stopped = true;
  }
  asio::post(m.io, [self = impl_] {
    ++self->generation;
    asio::error_code ignored;
    if (self->socket) self->socket->close(ignored);
    self->retry.cancel();
    self->work.reset();
  });
  if (m.thread.joinable()) m.thread.join();
}

}  // namespace vssoff::link
