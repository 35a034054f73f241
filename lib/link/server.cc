#include "link/server.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/csv.h"
#include "core/fs.h"
#include "core/log.h"
#include "link/emulator.h"
#include "link/net.h"

namespace vssoff::link {

void ServerOptions::check() const {
  vssoff::check<UsageError>(idle_timeout_s > 0, "--idle-timeout: ", idle_timeout_s, " s; give a positive time");
  vssoff::check<UsageError>(max_pending >= 1, "--max-pending: ", max_pending, "; give at least 1");
  vssoff::check<UsageError>(max_data_bytes >= 1024, "--max-message: ", max_data_bytes, " bytes; give at least 1024");
}

namespace {

struct Connection {
  int id = 0;
  std::string peer;
  tcp::socket socket;
  asio::steady_timer idle;
  std::array<uint8_t, kHeaderBytes> header{};
  MessageHeader h;
  std::string payload;
  std::deque<std::string> out;
  bool writing = false, hello = false, paused = false;
  std::atomic<bool> closed{false};  // read by the worker, to skip the jobs of a closed connection
  int pending = 0;                  // requests with the worker
  int64_t recv_start_us = 0;
  Connection(asio::io_context& io, int id) : id(id), socket(io), idle(io) {}
};

struct Job {
  std::shared_ptr<Connection> conn;
  Message request;
  size_t request_bytes = 0;
  int64_t recv_start_us = 0, recv_end_us = 0;
};

}  // namespace

struct Server::Impl {
  ServerOptions opt;
  Service& service;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  int next_id = 1;
  int64_t start_us = monotonic_us();
  std::unique_ptr<OutputFile> log;
  std::mutex log_mutex;
  // The worker's queue.
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> jobs;
  bool stopping = false;
  std::thread worker;

  Impl(const ServerOptions& o, Service& s) : opt(o), service(s) {}

  void log_row(const Connection& c, uint64_t seq, const std::string& kind, const Json& meta, size_t request_bytes,
               double receive_ms, double queue_ms, double serve_ms, size_t reply_bytes, const std::string& status) {
    if (!log) return;
    auto text = [](const Json& m, const char* key) {
      auto it = m.find(key);
      return it == m.end() ? std::string() : it->is_string() ? it->get<std::string>() : it->dump();
    };
    std::string quoted = status;
    for (char& ch : quoted)
      if (ch == '"' || ch == '\n' || ch == ',') ch = ' ';
    const std::string row =
        cat(csv_number((monotonic_us() - start_us) / 1e6), ",", c.id, ",", c.peer, ",", seq, ",", kind, ",",
            text(meta, "segment"), ",", text(meta, "model"), ",", request_bytes, ",", csv_number(receive_ms), ",",
            csv_number(queue_ms), ",", csv_number(serve_ms), ",", reply_bytes, ",", quoted, "\n");
    std::lock_guard<std::mutex> lock(log_mutex);
    log->write(row);
  }

  void accept() {
    auto c = std::make_shared<Connection>(io, next_id);
    acceptor.async_accept(c->socket, [this, c](const asio::error_code& ec) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {  // out of descriptors, say: try again shortly rather than spin
        log_warn("accept failed: ", ec.message());
        auto t = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
        return t->async_wait([this, t](const asio::error_code&) { accept(); });
      }
      {
        ++next_id;
        asio::error_code e;
        c->peer = cat(c->socket.remote_endpoint(e));
        c->socket.set_option(tcp::no_delay(true), e);
        log_info("connection ", c->id, " from ", c->peer);
        read_header(c);
      }
      accept();
    });
  }

  void arm_idle(const std::shared_ptr<Connection>& c) {
    c->idle.expires_after(std::chrono::microseconds(std::llround(opt.idle_timeout_s * 1e6)));
    c->idle.async_wait([this, c](const asio::error_code& ec) {
      if (ec || c->closed) return;
      if (c->pending > 0) return arm_idle(c);
      drop(c, 0, cat("idle for ", opt.idle_timeout_s, " s"));
    });
  }

  void read_header(const std::shared_ptr<Connection>& c) {
    arm_idle(c);
    asio::async_read(c->socket, asio::buffer(c->header), [this, c](const asio::error_code& ec, size_t) {
      if (c->closed) return;
      if (ec) return drop(c, 0, ec == asio::error::eof ? "the edge closed it" : ec.message(), /*tell=*/false);
      c->recv_start_us = monotonic_us();
      try {
        c->h = decode_header(c->header.data(), opt.max_data_bytes);
      } catch (const ProtocolError& e) {
        return drop(c, 0, e.what());
      }
      c->payload.resize(size_t(c->h.meta_bytes) + c->h.data_bytes);
      asio::async_read(c->socket, asio::buffer(c->payload), [this, c](const asio::error_code& e2, size_t) {
        if (c->closed) return;
        if (e2) return drop(c, c->h.seq, cat("truncated ", kind_name(c->h.kind), " message: ", e2.message()), false);
        handle(c, monotonic_us());
      });
    });
  }

  void handle(const std::shared_ptr<Connection>& c, int64_t recv_end_us) {
    Message m;
    m.kind = c->h.kind;
    m.seq = c->h.seq;
    const size_t request_bytes = kHeaderBytes + c->payload.size();
    try {
      m.meta = decode_meta(std::string_view(c->payload).substr(0, c->h.meta_bytes));
      m.data = c->payload.substr(c->h.meta_bytes);
      c->payload.clear();
      if (m.kind == MessageKind::kHello) {
        if (c->hello) throw ProtocolError("a second hello");
        const std::string refused = service.check_hello(m.meta);
        if (!refused.empty()) return drop(c, m.seq, cat("hello refused: ", refused));
        c->hello = true;
        Message w;
        w.kind = MessageKind::kWelcome;
        w.seq = m.seq;
        w.meta = service.describe();
        w.meta["protocol"] = kProtocolVersion;
        w.meta["server_us"] = monotonic_us();
        w.meta["client_us"] = m.meta.contains("client_us") ? meta_get<int64_t>(m, "client_us") : int64_t(0);
        w.meta["max_data_bytes"] = opt.max_data_bytes;
        send(c, encode_message(w));
        log_row(*c, m.seq, "hello", m.meta, request_bytes, (recv_end_us - c->recv_start_us) / 1e3, 0, 0, 0, "ok");
      } else if (m.kind == MessageKind::kSegment) {
        if (!c->hello) throw ProtocolError("a request before the hello");
        ++c->pending;
        {
          std::lock_guard<std::mutex> lock(mutex);
          jobs.push_back({c, std::move(m), request_bytes, c->recv_start_us, recv_end_us});
        }
        wake.notify_one();
        if (c->pending >= opt.max_pending) {  // hold the edge back (TCP's flow control) until one is served
          c->paused = true;
          return;
        }
      } else {
        throw ProtocolError(cat("an edge may not send a ", kind_name(m.kind), " message"));
      }
    } catch (const std::exception& e) {  // a ProtocolError, or a field of the wrong JSON type
      return drop(c, m.seq, e.what());
    }
    read_header(c);
  }

  void send(const std::shared_ptr<Connection>& c, std::string bytes) {
    if (c->closed) return;
    c->out.push_back(std::move(bytes));
    if (!c->writing) write_next(c);
  }

  void write_next(const std::shared_ptr<Connection>& c) {
    if (c->out.empty() || c->closed) {
      c->writing = false;
      return;
    }
    c->writing = true;
    asio::async_write(c->socket, asio::buffer(c->out.front()), [this, c](const asio::error_code& ec, size_t) {
      if (c->closed) return;
      if (ec) return drop(c, 0, cat("writing: ", ec.message()), false);
      c->out.pop_front();
      write_next(c);
    });
  }

  // Closes one connection, telling the edge why first (when it can still hear).
  void drop(const std::shared_ptr<Connection>& c, uint64_t seq, const std::string& reason, bool tell = true) {
    if (c->closed) return;
    log_info("connection ", c->id, " (", c->peer, ") closed: ", reason);
    log_row(*c, seq, "close", Json::object(), 0, 0, 0, 0, 0, "closed: " + reason);
    c->closed = true;
    c->idle.cancel();
    asio::error_code ignored;
    if (tell && !c->writing) {  // never in the middle of a reply being written
      Message e;
      e.kind = MessageKind::kError;
      e.seq = seq;
      e.meta = {{"reason", reason}, {"fatal", true}};
      const std::string bytes = encode_message(e);
      c->socket.non_blocking(true, ignored);
      c->socket.write_some(asio::buffer(bytes), ignored);  // best effort; never blocks
    }
    c->socket.shutdown(tcp::socket::shutdown_both, ignored);
    c->socket.close(ignored);
  }

  void work() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (stopping) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      if (job.conn->closed) {  // its edge is gone (it re-sends on a new connection)
        asio::post(io, [c = job.conn] { --c->pending; });
        continue;
      }
      const int64_t t0 = monotonic_us();
      Message reply;
      std::string status = "ok";
      try {
        reply = service.serve(job.request);
      } catch (const std::exception& e) {  // vssoff's errors, a field of the wrong type, no memory
        reply = Message{MessageKind::kError, job.request.seq, {{"reason", e.what()}}, {}};
      }
      reply.seq = job.request.seq;
      if (reply.kind == MessageKind::kError) status = "error: " + reply.meta.value("reason", std::string());
      const int64_t t1 = monotonic_us();
      reply.meta["recv_start_us"] = job.recv_start_us;
      reply.meta["recv_end_us"] = job.recv_end_us;
      reply.meta["queue_ms"] = (t0 - job.recv_end_us) / 1e3;
      reply.meta["serve_ms"] = (t1 - t0) / 1e3;
      reply.meta["done_us"] = t1;
      std::string bytes = encode_message(reply);
      log_row(*job.conn, job.request.seq, kind_name(job.request.kind), job.request.meta, job.request_bytes,
              (job.recv_end_us - job.recv_start_us) / 1e3, (t0 - job.recv_end_us) / 1e3, (t1 - t0) / 1e3, bytes.size(),
              status);
      asio::post(io, [this, c = job.conn, b = std::move(bytes)]() mutable {
        --c->pending;
        send(c, std::move(b));
        if (c->paused && !c->closed) {
          c->paused = false;
          read_header(c);
        }
      });
    }
  }
};

Server::Server(const ServerOptions& opt, Service& service) : impl_(std::make_unique<Impl>(opt, service)) {
  opt.check();
  Impl& m = *impl_;
  if (!opt.log.empty()) {
    check_output_path(opt.log, opt.force);
    m.log = std::make_unique<OutputFile>(opt.log);
    m.log->write(
        "time_s,connection,peer,seq,kind,segment,model,request_bytes,receive_ms,queue_ms,serve_ms,reply_bytes,"
        "status\n");
  }
  listen_on(m.acceptor, "serve", opt.listen);
  write_port_file(opt.port_file, this->port());
}

Server::~Server() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
}

int Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  Impl& m = *impl_;
  log_info("listening on ", m.acceptor.local_endpoint());
  m.worker = std::thread([&m] { m.work(); });
  m.accept();
  m.io.run();
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    m.stopping = true;
  }
  m.wake.notify_all();
  m.worker.join();
  if (m.log) m.log->close();
}

void Server::stop() { impl_->io.stop(); }

}  // namespace vssoff::link
