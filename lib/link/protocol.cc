#include "link/protocol.h"

#include <cstring>

namespace vssoff::link {

namespace {

constexpr char kMagic[4] = {'V', 'S', 'S', 'R'};

template <typename T>
void put(std::string* out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out->push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
}

template <typename T>
T get(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return static_cast<T>(v);
}

}  // namespace

const char* kind_name(MessageKind kind) {
  switch (kind) {
    case MessageKind::kHello:
      return "hello";
    case MessageKind::kWelcome:
      return "welcome";
    case MessageKind::kSegment:
      return "segment";
    case MessageKind::kResult:
      return "result";
    case MessageKind::kError:
      return "error";
  }
  return "unknown";
}

std::string encode_header(const MessageHeader& h) {
  std::string out(kMagic, 4);
  put<uint16_t>(&out, h.version);
  put<uint16_t>(&out, static_cast<uint16_t>(h.kind));
  put<uint64_t>(&out, h.seq);
  put<uint32_t>(&out, h.meta_bytes);
  put<uint32_t>(&out, h.data_bytes);
  return out;
}

MessageHeader decode_header(const uint8_t* p, uint32_t max_data_bytes) {
  if (std::memcmp(p, kMagic, 4) != 0) throw ProtocolError("not a vssoff replay message (bad magic)");
  MessageHeader h;
  h.version = get<uint16_t>(p + 4);
  if (h.version != kProtocolVersion)
    throw ProtocolError(cat("protocol version ", h.version, "; this vssoff speaks version ", kProtocolVersion));
  const uint16_t kind = get<uint16_t>(p + 6);
  if (kind < 1 || kind > 5) throw ProtocolError(cat("unknown message kind ", kind));
  h.kind = static_cast<MessageKind>(kind);
  h.seq = get<uint64_t>(p + 8);
  h.meta_bytes = get<uint32_t>(p + 16);
  h.data_bytes = get<uint32_t>(p + 20);
  if (h.meta_bytes > kMaxMetaBytes)
    throw ProtocolError(
        cat(kind_name(h.kind), " message with ", h.meta_bytes, " bytes of meta; the bound is ", kMaxMetaBytes));
  if (h.data_bytes > max_data_bytes)
    throw ProtocolError(
        cat(kind_name(h.kind), " message with ", h.data_bytes, " bytes of data; the bound is ", max_data_bytes));
  return h;
}

Json decode_meta(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw ProtocolError("message meta is not a JSON object");
  return j;
}

std::string encode_message(const Message& m) {
  const std::string meta = m.meta.dump();
  MessageHeader h;
  h.kind = m.kind;
  h.seq = m.seq;
  h.meta_bytes = static_cast<uint32_t>(meta.size());
  h.data_bytes = static_cast<uint32_t>(m.data.size());
  std::string out = encode_header(h);
  out.reserve(kHeaderBytes + meta.size() + m.data.size());
  out += meta;
  out += m.data;
  return out;
}

Message decode_message(std::string_view bytes, uint32_t max_data_bytes) {
  if (bytes.size() < kHeaderBytes) throw ProtocolError(cat("truncated header: ", bytes.size(), " bytes"));
  const MessageHeader h = decode_header(reinterpret_cast<const uint8_t*>(bytes.data()), max_data_bytes);
  const size_t want = kHeaderBytes + size_t(h.meta_bytes) + h.data_bytes;
  if (bytes.size() != want) throw ProtocolError(cat("message of ", bytes.size(), " bytes; its header says ", want));
  Message m;
  m.kind = h.kind;
  m.seq = h.seq;
  m.meta = decode_meta(bytes.substr(kHeaderBytes, h.meta_bytes));
  m.data = std::string(bytes.substr(kHeaderBytes + h.meta_bytes));
  return m;
}

}  // namespace vssoff::link
