// Loads the native addon built from Cargo.toml (x0x.<platform>-<arch>.node) when it is there, else a pure-JS
// implementation with the same results, so the package works everywhere.
const { existsSync } = require("node:fs");
const path = require("node:path");

const addonPath = path.join(__dirname, `x0x.${process.platform}-${process.arch}.node`);
const native = existsSync(addonPath) ? require(addonPath) : undefined;

function checksum(data) {
  const bytes = toBytes(data);
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function encodeFrame(payload) {
  const bytes = toBytes(payload);
  const frame = Buffer.alloc(bytes.length + 8);
  frame.writeUInt32BE(bytes.length, 0);
  Buffer.from(bytes).copy(frame, 4);
  frame.writeUInt32BE(checksum(bytes), 4 + bytes.length);
  return frame;
}

function decodeFrame(frame) {
  const buf = Buffer.from(toBytes(frame));
  if (buf.length < 8) return null;
  const len = buf.readUInt32BE(0);
  if (buf.length < len + 8) return null;
  const payload = buf.subarray(4, 4 + len);
  return buf.readUInt32BE(4 + len) === checksum(payload) ? payload : null;
}

function toBytes(data) {
  return typeof data === "string" ? Buffer.from(data, "utf8") : data;
}

module.exports = {
  checksum: native?.checksum ?? checksum,
  encodeFrame: native?.encodeFrame ?? encodeFrame,
  decodeFrame: native?.decodeFrame ?? decodeFrame,
  isNative: native !== undefined,
};
