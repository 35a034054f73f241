#include "link/net.h"

#include "core/error.h"
#include "core/fs.h"
#include "link/emulator.h"

namespace vssoff::link {

void parse_address(const std::string& option, const std::string& text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  check<UsageError>(colon != std::string::npos && colon > 0, option, ": \"", text, "\" is not host:port");
  *host = text.substr(0, colon);
  const std::string p = text.substr(colon + 1);
  char* end = nullptr;
  const long v = std::strtol(p.c_str(), &end, 10);
  check<UsageError>(!p.empty() && *end == '\0' && v >= 0 && v <= 65535, option, ": \"", p,
                    "\" is not a port number (0 to 65535)");
  *port = static_cast<int>(v);
}

tcp::endpoint make_endpoint(const std::string& option, const std::string& host, int port) {
  asio::error_code ec;
  const asio::ip::address a = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  check<UsageError>(!ec, option, ": \"", host, "\" is not a numeric IP address");
  return tcp::endpoint(a, static_cast<unsigned short>(port));
}

void listen_on(tcp::acceptor& acceptor, const std::string& role, const std::string& address) {
  std::string host;
  int port = 0;
  parse_address("--listen", address, &host, &port);
  const tcp::endpoint at = make_endpoint("--listen", host, port);
  asio::error_code ec;
  acceptor.open(at.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(at, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  check<InputError>(!ec, role, ": cannot listen on ", address, ": ", ec.message());
}

void write_port_file(const std::string& path, int port) {
  if (!path.empty()) write_file_atomic(path, std::to_string(port) + "\n", /*force=*/true);
}

}  // namespace vssoff::link
