// The replay transport on loopback: a server with an echo service and real clients, no models.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "core/error.h"
#include "link/client.h"
#include "link/server.h"

namespace vssoff::link {
namespace {

int raw_connect(int port);
std::string until_closed(int fd);

class Echo : public Service {
 public:
  std::atomic<int> served{0};
  int delay_ms = 0;
  Json describe() const override { return {{"service", "echo"}}; }
  std::string check_hello(const Json& hello) const override {
    return hello.value("refuse", false) ? "asked to be refused" : "";
  }
  Message serve(const Message& r) override {
    if (delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ++served;
    if (r.meta.value("fail", false)) throw InputError("asked to fail");
    (void)r.meta.value("typed", 0);  // a string there: nlohmann's type_error, as a careless service would throw
    return Message{MessageKind::kResult, r.seq, {{"echo", r.meta}}, r.data};
  }
};

// A server running on its own thread.
struct Running {
  Echo echo;
  std::unique_ptr<Server> server;
  std::thread thread;
  explicit Running(ServerOptions o = {}) {
    server = std::make_unique<Server>(o, echo);
    thread = std::thread([this] { server->run(); });
  }
  ~Running() { stop(); }
  void stop() {
    if (!server) return;
    server->stop();
    thread.join();
    server.reset();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(server->port()); }
};

Message request(int i, size_t bytes = 16) {
  return Message{MessageKind::kSegment, 0, {{"segment", i}}, std::string(bytes, char('a' + i % 26))};
}

TEST(Transport, MatchesRepliesToRequests) {
  Running s;
  ClientOptions o;
  o.connect = s.address();
  Client c(o);
  EXPECT_EQ(c.start().at("service"), "echo");
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 20; ++i) seqs.push_back(c.send(request(i, 1000 * i)));
  for (int i = 0; i < 20; ++i) {
    auto r = c.next_reply(5);
    ASSERT_TRUE(r);
    const int segment = r->message.meta.at("echo").at("segment");
    EXPECT_EQ(r->message.seq, seqs[segment]);
    EXPECT_EQ(r->message.data, request(segment, 1000 * segment).data);
    EXPECT_GE(r->arrived_us, r->send_start_us);
  }
  EXPECT_EQ(c.unanswered(), 0u);
  // One machine, one clock: the true offset is 0, and NTP's rule is off by at most half the
  // hello's round trip (however long a loaded machine made it).
  EXPECT_LE(std::abs(c.clock_offset_us()), c.hello_round_trip_us() / 2 + 1);
  EXPECT_GT(c.hello_round_trip_us(), 0);
}

// B14's second half: the transport adds well under 1 ms per message on loopback.
TEST(Transport, AddsUnderOneMillisecondPerMessage) {
  Running s;
  ClientOptions o;
  o.connect = s.address();
  Client c(o);
  c.start();
  std::vector<double> rtt_ms;
  for (int i = 0; i < 200; ++i) {
    c.send(request(i, 4096));
    auto r = c.next_reply(5);
    ASSERT_TRUE(r);
    rtt_ms.push_back((r->arrived_us - r->send_start_us) / 1e3);
  }
  std::sort(rtt_ms.begin(), rtt_ms.end());
  const double median = rtt_ms[rtt_ms.size() / 2];
  std::printf("request + reply of 4 KiB on loopback: median %.3f ms, 90th percentile %.3f ms\n", median,
              rtt_ms[rtt_ms.size() * 9 / 10]);
  EXPECT_LT(median, 1.0);  // both directions together
}

TEST(Transport, ServiceErrorsAnswerTheRequestAndKeepTheConnection) {
  Running s;
  ClientOptions o;
  o.connect = s.address();
  Client c(o);
  c.start();
  Message bad = request(1);
  bad.meta["fail"] = true;
  const uint64_t seq = c.send(bad);
  auto r = c.next_reply(5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message.seq, seq);
  EXPECT_EQ(r->message.kind, MessageKind::kError);
  EXPECT_EQ(r->message.meta.at("reason"), "asked to fail");
  c.send(request(2));
  r = c.next_reply(5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message.kind, MessageKind::kResult);
}

TEST(Transport, FieldsOfTheWrongTypeAreErrorsNotCrashes) {
  ServerOptions so;
  so.max_data_bytes = 1 << 20;
  Running s(so);
  // In a hello: that connection is closed with the reason; the server lives on.
  const int raw = raw_connect(s.server->port());
  const std::string hello = encode_message(Message{MessageKind::kHello, 1, {{"client_us", "soon"}}, {}});
  ASSERT_EQ(send(raw, hello.data(), hello.size(), 0), ssize_t(hello.size()));
  EXPECT_NE(until_closed(raw).find("wrong type"), std::string::npos);
  // In a request: an error reply, and the connection stays.
  ClientOptions o;
  o.connect = s.address();
  Client c(o);
  c.start();
  Message typed = request(1);
  typed.meta["typed"] = "a string";
  c.send(typed);
  auto r = c.next_reply(5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message.kind, MessageKind::kError);
  c.send(request(2));
  r = c.next_reply(5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message.kind, MessageKind::kResult);
  // A request over the server's bound is refused before it is sent, not re-sent forever.
  EXPECT_THROW(c.send(request(3, 2 << 20)), InputError);
}

TEST(Transport, ARefusedHelloFailsTheClientAtOnce) {
  Running s;
  ClientOptions o;
  o.connect = s.address();
  o.hello = {{"refuse", true}};
  Client c(o);
  try {
    c.start();
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("asked to be refused"), std::string::npos) << e.what();
  }
}

TEST(Transport, NoServerIsAClearErrorAfterTheGiveUpTime) {
  int port;
  {
    Running s;  // a port that was free a moment ago, and is closed now
    port = s.server->port();
  }
  ClientOptions o;
  o.connect = "127.0.0.1:" + std::to_string(port);
  o.give_up_s = 0.5;
  Client c(o);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    c.start();
    FAIL() << "connected";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot reach the server"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5);
}

// A raw TCP client for the hostile cases.
int raw_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

// Reads until the server closes; returns what it said.
std::string until_closed(int fd) {
  std::string got;
  char buf[4096];
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, size_t(n));
  close(fd);
  return got;
}

TEST(Transport, HostileClientsAreDroppedAndOthersKeepBeingServed) {
  ServerOptions so;
  so.idle_timeout_s = 0.5;
  so.max_data_bytes = 1 << 20;
  Running s(so);
  ClientOptions o;
  o.connect = s.address();
  Client good(o);
  good.start();

  const int garbage = raw_connect(s.server->port());
  ASSERT_EQ(send(garbage, "GET / HTTP/1.1\r\n\r\nxxxxxxxxxxxxxxxxxxxx", 38, 0), 38);
  MessageHeader h;
  h.kind = MessageKind::kHello;
  h.data_bytes = 2u << 20;  // over the server's bound
  const std::string oversized = encode_header(h);
  const int big = raw_connect(s.server->port());
  ASSERT_EQ(send(big, oversized.data(), oversized.size(), 0), ssize_t(oversized.size()));
  const int silent = raw_connect(s.server->port());
  Message early = request(0);
  const std::string before_hello = encode_message(early);
  const int rude = raw_connect(s.server->port());
  ASSERT_EQ(send(rude, before_hello.data(), before_hello.size(), 0), ssize_t(before_hello.size()));

  // Each is told why (an error message), then closed.
  auto reason = [](const std::string& bytes) {
    return bytes.size() > kHeaderBytes ? decode_message(bytes).meta.value("reason", "") : std::string();
  };
  EXPECT_NE(reason(until_closed(garbage)).find("bad magic"), std::string::npos);
  EXPECT_NE(reason(until_closed(big)).find("bytes of data"), std::string::npos);
  EXPECT_NE(reason(until_closed(rude)).find("before the hello"), std::string::npos);
  EXPECT_NE(reason(until_closed(silent)).find("idle"), std::string::npos);

  // The good client, idle meanwhile too, was dropped by the same rule and comes back by itself.
  for (int i = 0; i < 5; ++i) {
    good.send(request(i));
    auto r = good.next_reply(5);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->message.kind, MessageKind::kResult);
  }
}

TEST(Transport, EightEdgesAtOnceAllComplete) {
  Running s;
  s.echo.delay_ms = 5;  // one worker: requests queue
  std::vector<std::thread> edges;
  std::atomic<int> complete{0};
  for (int e = 0; e < 8; ++e)
    edges.emplace_back([&, e] {
      ClientOptions o;
      o.connect = s.address();
      Client c(o);
      c.start();
      for (int i = 0; i < 10; ++i) c.send(request(e * 100 + i, 20000));
      int got = 0;
      while (got < 10 && c.next_reply(10)) ++got;
      if (got == 10) ++complete;
    });
  for (auto& t : edges) t.join();
  EXPECT_EQ(complete, 8);
  EXPECT_EQ(s.echo.served, 80);
}

// The server dies with requests in flight and comes back on the same port: the client
// reconnects, re-sends what had no reply, and every request is answered exactly once.
TEST(Transport, ServerRestartLosesNothingAndCountsNothingTwice) {
  auto running = std::make_unique<Running>();
  running->echo.delay_ms = 20;
  const int port = running->server->port();
  ClientOptions o;
  o.connect = running->address();
  o.backoff_initial_s = 0.05;
  Client c(o);
  c.start();
  for (int i = 0; i < 30; ++i) c.send(request(i, 5000));
  std::vector<int> seen;
  while (seen.size() < 5) {
    auto r = c.next_reply(5);
    ASSERT_TRUE(r);
    seen.push_back(r->message.meta.at("echo").at("segment"));
  }
  running.reset();  // killed mid-run
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ServerOptions so;
  so.listen = "127.0.0.1:" + std::to_string(port);
  running = std::make_unique<Running>(so);
  int resent = 0;
  while (seen.size() < 30) {
    auto r = c.next_reply(10);
    ASSERT_TRUE(r) << seen.size() << " of 30";
    seen.push_back(r->message.meta.at("echo").at("segment"));
    resent += r->sends > 1;
  }
  std::sort(seen.begin(), seen.end());
  for (int i = 0; i < 30; ++i) EXPECT_EQ(seen[i], i);
  EXPECT_GT(resent, 0);
  EXPECT_EQ(c.reconnects(), 1);
  EXPECT_FALSE(c.next_reply(0.3));  // nothing twice
}

}  // namespace
}  // namespace vssoff::link
