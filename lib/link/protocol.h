// The replay protocol between an edge (camera) and a server, over one TCP connection.
//
// Every message is a fixed 24-byte header, then `meta_bytes` of JSON (an object: what the
// message says) and `data_bytes` of binary payload (what it carries: an H.264 segment, label
// maps, later a picture or a feature bitstream). The header, little-endian:
//   magic "VSSR" (4) | version u16 | kind u16 | sequence u64 | meta_bytes u32 | data_bytes u32
// A reader checks the magic, the version, the kind and both sizes against its bounds before
// reading a payload byte, so an oversized, garbled or foreign message is refused at once
// (ProtocolError, naming the reason), and the connection is closed; nothing is allocated
// for a length it did not accept.
//
// Sequence numbers: the edge numbers its requests from 1; a server's reply carries the
// request's number, so results are matched to requests whatever their order or a reconnect.
//
// Kinds. A later system adds a kind (and a camera-side loop), not a transport:
//   hello    edge -> server: protocol and vssoff versions, the system and its settings, the
//            models it will ask for, the edge's clock (client_us)
//   welcome  server -> edge: the server's models (name, weights hash, cost), its clock
//            (server_us) and the client_us it answers, for the clock offset
//   segment  edge -> server: one H.264 segment (Annex B, SPS/PPS first) and what to do
//            with it (model, frames to score, the size to report labels at)
//   result   server -> edge: a segment's results: label maps (PNG, one per scored frame),
//            softmax statistics, measured server times
//   error    either way: a request that could not be served (the connection stays), or
//            why a connection is being closed
// Torch-free, no I/O: the transports (link/server.h, link/client.h) frame with these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/manifest.h"

namespace vssoff::link {

inline constexpr uint16_t kProtocolVersion = 1;
inline constexpr size_t kHeaderBytes = 24;
inline constexpr uint32_t kMaxMetaBytes = 1 << 20;           // 1 MiB of JSON
inline constexpr uint32_t kDefaultMaxDataBytes = 64u << 20;  // 64 MiB of payload

enum class MessageKind : uint16_t { kHello = 1, kWelcome = 2, kSegment = 3, kResult = 4, kError = 5 };
const char* kind_name(MessageKind kind);

// A message that breaks the protocol; the connection that sent it is closed.
class ProtocolError : public InputError {
 public:
  explicit ProtocolError(const std::string& m) : InputError(m) {}
};

struct MessageHeader {
  uint16_t version = kProtocolVersion;
  MessageKind kind = MessageKind::kError;
  uint64_t seq = 0;
  uint32_t meta_bytes = 0, data_bytes = 0;
};

struct Message {
  MessageKind kind = MessageKind::kError;
  uint64_t seq = 0;
  Json meta = Json::object();
  std::string data;
};

// The 24 header bytes of a message.
std::string encode_header(const MessageHeader& header);
// Checks and decodes 24 header bytes: ProtocolError for another magic or version, an
// unknown kind, meta over kMaxMetaBytes or data over max_data_bytes.
MessageHeader decode_header(const uint8_t* bytes, uint32_t max_data_bytes = kDefaultMaxDataBytes);
// The meta JSON of a message: ProtocolError unless it is one JSON object.
Json decode_meta(std::string_view text);

// Header, meta and data of a whole message, ready to write.
std::string encode_message(const Message& message);
// A whole message from its bytes (a test's and the fuzzer's entry): ProtocolError for any
// defect, including bytes left over or missing.
Message decode_message(std::string_view bytes, uint32_t max_data_bytes = kDefaultMaxDataBytes);

// A field of a message's meta, ProtocolError naming the kind and the field when it is
// missing or of another type.
template <typename T>
T meta_get(const Message& m, const std::string& key) {
  auto it = m.meta.find(key);
  if (it == m.meta.end()) throw ProtocolError(cat(kind_name(m.kind), " message without \"", key, "\""));
  try {
    return it->get<T>();
  } catch (const std::exception&) {
    throw ProtocolError(cat(kind_name(m.kind), " message: \"", key, "\" has the wrong type"));
  }
}

}  // namespace vssoff::link
