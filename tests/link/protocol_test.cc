#include "link/protocol.h"

#include <gtest/gtest.h>

namespace vssoff::link {
namespace {

Message sample() {
  Message m;
  m.kind = MessageKind::kSegment;
  m.seq = 0x0102030405060708ull;
  m.meta = {{"segment", 3}, {"model", "segnet-w16"}};
  m.data = std::string("\x00\x01\xff payload", 11);
  return m;
}

TEST(Protocol, RoundTripsEveryField) {
  const std::string bytes = encode_message(sample());
  ASSERT_EQ(bytes.substr(0, 4), "VSSR");
  const Message m = decode_message(bytes);
  EXPECT_EQ(m.kind, MessageKind::kSegment);
  EXPECT_EQ(m.seq, 0x0102030405060708ull);
  EXPECT_EQ(m.meta.at("segment"), 3);
  EXPECT_EQ(m.meta.at("model"), "segnet-w16");
  EXPECT_EQ(m.data, std::string("\x00\x01\xff payload", 11));
  // Little-endian header fields at fixed offsets.
  EXPECT_EQ(static_cast<uint8_t>(bytes[4]), kProtocolVersion);
  EXPECT_EQ(static_cast<uint8_t>(bytes[6]), 3);     // kind
  EXPECT_EQ(static_cast<uint8_t>(bytes[8]), 0x08);  // seq, low byte first
  EXPECT_EQ(static_cast<uint8_t>(bytes[20]), 11);   // data bytes
}

void expect_refused(const std::string& bytes, const std::string& reason, uint32_t max_data = kDefaultMaxDataBytes) {
  try {
    decode_message(bytes, max_data);
    ADD_FAILURE() << "accepted; expected: " << reason;
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
  }
}

TEST(Protocol, RefusesWhatBreaksIt) {
  const std::string good = encode_message(sample());
  std::string b = good;
  b[0] = 'X';
  expect_refused(b, "bad magic");
  b = good;
  b[4] = 9;
  expect_refused(b, "protocol version 9");
  b = good;
  b[6] = 42;
  expect_refused(b, "unknown message kind 42");
  expect_refused(good.substr(0, 10), "truncated header");
  expect_refused(good.substr(0, good.size() - 1), "its header says");
  expect_refused(good + "x", "its header says");
  expect_refused(good, "bytes of data; the bound is 4", 4);
  b = good;
  b[19] = 0x7f;  // meta length ~2 GB: refused from the header alone
  expect_refused(b, "bytes of meta");
  Message m = sample();
  std::string raw = encode_message(m);
  raw[kHeaderBytes] = '[';  // meta is no longer a JSON object
  expect_refused(raw, "not a JSON object");
}

TEST(Protocol, MetaFieldsAreChecked) {
  Message m = sample();
  EXPECT_EQ(meta_get<int>(m, "segment"), 3);
  EXPECT_THROW(meta_get<int>(m, "model"), ProtocolError);
  EXPECT_THROW(meta_get<int>(m, "missing"), ProtocolError);
}

}  // namespace
}  // namespace vssoff::link
