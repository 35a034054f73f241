#include "link/emulator.h"

#include <array>
#include <deque>
#include <limits>
#include <map>

#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "link/net.h"

namespace vssoff::link {

void LinkOptions::check() const {
  vssoff::check<UsageError>(!connect.empty(), "link: give the server's address (--connect host:port)");
  up.check();
  down.check();
  vssoff::check<UsageError>(log_interval_s >= 0.001 && log_interval_s <= 60, "--log-interval: ", log_interval_s,
                            " s; give 0.001 to 60");
}

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr int64_t kMaxUnwritten = 1 << 20;  // delivered bytes a connection's far side has not taken yet

// Bytes in order, taken from the front.
struct ByteQueue {
  std::string bytes;
  size_t head = 0;
  size_t size() const { return bytes.size() - head; }
  void push(const char* p, size_t n) { bytes.append(p, n); }
  std::string take(size_t n) {
    std::string out = bytes.substr(head, n);
    head += out.size();
    if (head > (1 << 20) && head * 2 > bytes.size()) bytes.erase(0, head), head = 0;
    return out;
  }
};

// One forwarded connection. Direction d carries side[d] -> side[1 - d]: 0 up, 1 down.
struct Conn {
  int id = 0;
  std::array<tcp::socket, 2> side;
  std::array<ByteQueue, 2> queued;  // read, not yet delivered
  std::array<std::string, 2> out;   // delivered, being written
  std::array<std::string, 2> writing_buf;
  std::array<bool, 2> reading{false, false}, writing{false, false}, eof{false, false};
  std::array<std::array<char, kReadChunk>, 2> buf;
  bool connected = false, closed = false;
  explicit Conn(asio::io_context& io) : side{tcp::socket(io), tcp::socket(io)} {}
};

}  // namespace

struct LinkEmulator::Impl {
  LinkOptions opt;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  tcp::endpoint upstream;
  asio::steady_timer timer{io}, log_timer{io};
  struct Direction {
    std::unique_ptr<DeliverySchedule> schedule;
    std::unique_ptr<Shaper> shaper;
    ShaperOptions options;
    std::deque<Delivery> in_flight;
    int64_t reserved = 0;  // bytes the reads in flight may bring
    int64_t arrived = 0, lost_logged = 0, logged_until_us = 0;
  };
  std::array<Direction, 2> dir;
  std::map<int, std::shared_ptr<Conn>> conns;
  int next_id = 1;
  int64_t start_us = -1;
  std::unique_ptr<OutputFile> log;

  const char* name(int d) const { return d == 0 ? "up" : "down"; }

  void start_clock(int64_t now) {
    if (start_us >= 0) return;
    start_us = now;
    for (int d = 0; d < 2; ++d) {
      if (dir[d].schedule) dir[d].shaper = std::make_unique<Shaper>(*dir[d].schedule, dir[d].options, start_us);
      dir[d].logged_until_us = start_us;
    }
    if (log) schedule_log();
  }

  void accept() {
    auto c = std::make_shared<Conn>(io);
    acceptor.async_accept(c->side[0], [this, c](const asio::error_code& ec) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        start_clock(monotonic_us());
        c->id = next_id++;
        conns[c->id] = c;
        asio::error_code e0;  // a peer that reset at once fails these, harmlessly
        c->side[0].set_option(tcp::no_delay(true), e0);
        // Keep the unshaped kernel buffer in front of the shaper small.
        c->side[0].set_option(asio::socket_base::receive_buffer_size(64 * 1024), e0);
        log_info("connection ", c->id, " from ", c->side[0].remote_endpoint(e0), " -> ", upstream);
        c->side[1].async_connect(upstream, [this, c](const asio::error_code& e) {
          if (c->closed) return;
          if (e) {
            log_warn("connection ", c->id, ": cannot reach the server at ", upstream, ": ", e.message());
            close(*c);
            return;
          }
          asio::error_code ignored;
          c->side[1].set_option(tcp::no_delay(true), ignored);
          c->side[1].set_option(asio::socket_base::receive_buffer_size(64 * 1024), ignored);
          c->connected = true;
          read(c, 0);
          read(c, 1);
        });
      } else {  // out of descriptors, say: try again shortly rather than spin
        log_warn("accept failed: ", ec.message());
        auto t = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
        return t->async_wait([this, t](const asio::error_code&) { accept(); });
      }
      accept();
    });
  }

  // What a direction may still read: its queue's room (unshaped: a bound on what waits to be
  // written) less what the reads in flight may bring, since they may all complete.
  int64_t room(int d) const { return (dir[d].shaper ? dir[d].shaper->room() : kMaxUnwritten) - dir[d].reserved; }

  static int64_t unwritten(const Conn& c, int d) {
    return static_cast<int64_t>(c.out[d].size() + c.writing_buf[d].size());
  }

  void read(const std::shared_ptr<Conn>& c, int d) {
    // A far side that does not read holds this side back too (bounded buffers, as TCP would).
    if (c->closed || c->reading[d] || c->eof[d] || room(d) <= 0 || unwritten(*c, d) >= kMaxUnwritten) return;
    c->reading[d] = true;
    const size_t n = static_cast<size_t>(std::min<int64_t>(kReadChunk, room(d)));
    dir[d].reserved += static_cast<int64_t>(n);
    c->side[d].async_read_some(
        asio::buffer(c->buf[d].data(), n), [this, c, d, n](const asio::error_code& ec, size_t got) {
          c->reading[d] = false;
          dir[d].reserved -= static_cast<int64_t>(n);
          if (c->closed) return;
          const int64_t now = monotonic_us();
          if (got > 0) {
            c->queued[d].push(c->buf[d].data(), got);
            if (dir[d].shaper)
              dir[d].shaper->enqueue(now, c->id, static_cast<int64_t>(got));
            else
              dir[d].in_flight.push_back(
                  {c->id, static_cast<int64_t>(got), now + std::llround(dir[d].options.delay_ms * 1000)});
          }
          if (ec) {
            c->eof[d] = true;  // flush what was read, then close (finish_if_done)
            if (ec != asio::error::eof) log_info("connection ", c->id, " ", name(d), ": ", ec.message());
          }
          pump();
          read(c, d);
        });
  }

  // Moves delivered bytes whose time has come to their far side.
  void arrive(int d, const Delivery& x) {
    dir[d].arrived += x.bytes;
    auto it = conns.find(x.flow);
    if (it == conns.end()) return;  // that connection is gone; its bytes still took their capacity
    Conn& c = *it->second;
    c.out[d] += c.queued[d].take(static_cast<size_t>(x.bytes));
    write(it->second, d);
  }

  void write(const std::shared_ptr<Conn>& c, int d) {
    if (c->closed || c->writing[d] || c->out[d].empty()) return;
    c->writing[d] = true;
    c->writing_buf[d].swap(c->out[d]);
    c->out[d].clear();
    asio::async_write(c->side[1 - d], asio::buffer(c->writing_buf[d]),
                      [this, c, d](const asio::error_code& ec, size_t) {
                        c->writing[d] = false;
                        c->writing_buf[d].clear();
                        if (c->closed) return;
                        if (ec) {
                          log_info("connection ", c->id, ": writing ", name(d), ": ", ec.message());
                          close(*c);
                          return;
                        }
                        write(c, d);
                        read(c, d);  // a read held back by unwritten bytes may go on
                        finish_if_done(*c);
                      });
  }

  // A side that ended: once what it sent is delivered, close both sides.
  void finish_if_done(Conn& c) {
    for (int d = 0; d < 2; ++d)
      if (c.eof[d] && c.queued[d].size() == 0 && c.out[d].empty() && !c.writing[d]) {
        close(c);
        return;
      }
  }

  void close(Conn& c) {
    if (c.closed) return;
    c.closed = true;
    asio::error_code ignored;
    for (auto& s : c.side) s.shutdown(tcp::socket::shutdown_both, ignored), s.close(ignored);
    log_info("connection ", c.id, " closed");
    conns.erase(c.id);
  }

  void pump() {
    const int64_t now = monotonic_us();
    std::vector<Delivery> got;
    for (int d = 0; d < 2; ++d) {
      Direction& x = dir[d];
      if (x.shaper) {
        got.clear();
        x.shaper->serve(now, &got);
        x.in_flight.insert(x.in_flight.end(), got.begin(), got.end());
      }
      while (!x.in_flight.empty() && x.in_flight.front().arrive_us <= now) {
        arrive(d, x.in_flight.front());
        x.in_flight.pop_front();
      }
    }
    // Room again: resume the reads a full queue held back; close what has finished.
    std::vector<std::shared_ptr<Conn>> all;
    for (auto& [id, c] : conns) all.push_back(c);
    for (auto& c : all) {
      if (c->connected)
        for (int d = 0; d < 2; ++d) read(c, d);
      finish_if_done(*c);
    }
    int64_t next = std::numeric_limits<int64_t>::max();
    for (const Direction& x : dir) {
      if (x.shaper) next = std::min(next, x.shaper->next_event_us());
      if (!x.in_flight.empty()) next = std::min(next, x.in_flight.front().arrive_us);
    }
    if (next == std::numeric_limits<int64_t>::max()) return;
    timer.expires_after(std::chrono::microseconds(std::max<int64_t>(next - monotonic_us(), 0)));
    timer.async_wait([this](const asio::error_code& ec) {
      if (!ec) pump();
    });
  }

  void schedule_log() {
    const int64_t step = std::llround(opt.log_interval_s * 1e6);
    const int64_t due = dir[0].logged_until_us + step;
    log_timer.expires_after(std::chrono::microseconds(std::max<int64_t>(due - monotonic_us(), 0)));
    log_timer.async_wait([this, due](const asio::error_code& ec) {
      if (ec) return;
      pump();
      write_log_rows(due);
      schedule_log();
    });
  }

  void write_log_rows(int64_t until) {
    std::string rows;
    for (int d = 0; d < 2; ++d) {
      Direction& x = dir[d];
      const int64_t capacity = x.shaper ? x.shaper->capacity(x.logged_until_us, until) : -1;
      const int64_t lost = x.shaper ? x.shaper->lost_deliveries() : 0;
      rows += cat(csv_number((until - start_us) / 1e6), ",", name(d), ",", x.arrived, ",",
                  capacity >= 0 ? std::to_string(capacity) : "", ",", x.shaper ? x.shaper->queued() : 0, ",",
                  lost - x.lost_logged, ",", conns.size(), "\n");
      x.arrived = 0;
      x.lost_logged = lost;
      x.logged_until_us = until;
    }
    log->write(rows);  // whole rows, one write
  }
};

LinkEmulator::LinkEmulator(const LinkOptions& opt) : impl_(std::make_unique<Impl>()) {
  opt.check();
  Impl& m = *impl_;
  m.opt = opt;
  std::string host;
  int port = 0;
  parse_address("--connect", opt.connect, &host, &port);
  check<UsageError>(port > 0, "--connect: give the server's port");
  m.upstream = make_endpoint("--connect", host, port);
  const std::array<std::string, 2> traces{opt.up_trace, opt.down_trace};
  for (int d = 0; d < 2; ++d) {
    m.dir[d].options = d == 0 ? opt.up : opt.down;
    if (!traces[d].empty()) m.dir[d].schedule = std::make_unique<DeliverySchedule>(read_trace(traces[d]));
  }
  if (!opt.log.empty()) {
    check_output_path(opt.log, opt.force);
    m.log = std::make_unique<OutputFile>(opt.log);
    m.log->write("t_s,direction,delivered_bytes,capacity_bytes,queued_bytes,lost_deliveries,connections\n");
  }
  listen_on(m.acceptor, "link", opt.listen);
  write_port_file(opt.port_file, this->port());
  if (opt.trace_from_start) m.start_clock(monotonic_us());
}

LinkEmulator::~LinkEmulator() = default;

int LinkEmulator::port() const { return impl_->acceptor.local_endpoint().port(); }

void LinkEmulator::run() {
  Impl& m = *impl_;
  log_info("listening on ", m.acceptor.local_endpoint(), ", forwarding to ", m.upstream, "; up ",
           m.opt.up_trace.empty() ? "unshaped" : m.opt.up_trace, ", down ",
           m.opt.down_trace.empty() ? "unshaped" : m.opt.down_trace);
  m.accept();
  m.io.run();
  if (m.log) m.log->close();
}

void LinkEmulator::stop() { impl_->io.stop(); }

}  // namespace vssoff::link
