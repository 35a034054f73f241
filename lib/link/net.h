// Small pieces the link domain's TCP code shares (Asio, standalone). Internal to lib/link.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <string>

namespace vssoff::link {

using tcp = asio::ip::tcp;

// Microseconds on this process's monotonic clock (the replay's one clock per process).
inline int64_t monotonic_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// An endpoint of a numeric address (no name lookup: "localhost" is 127.0.0.1); UsageError
// naming the option otherwise.
tcp::endpoint make_endpoint(const std::string& option, const std::string& host, int port);

// Opens, binds and listens `acceptor` on "host:port" (SO_REUSEADDR); InputError naming the
// role ("serve", "link") and the address when it cannot (in use, not local).
void listen_on(tcp::acceptor& acceptor, const std::string& role, const std::string& address);

// Writes `port` to `path` atomically (a script waiting for a process to listen reads it).
void write_port_file(const std::string& path, int port);

}  // namespace vssoff::link
