// Lifebuoy channel v1: constants, errors and frame layouts (docs/protocol.md).
// Browser and Node 20 alike: ES module, no dependencies.

export const VERSION = 1;
export const SUPPORTED_VERSIONS = [1];
export const HELLO_FORMAT = 1;
export const HEADER_SIZE = 20;
export const TAG_SIZE = 16;
export const RANDOM_SIZE = 32;
export const MAX_HANDSHAKE_FRAME = 4096;
export const COMMIT_SIZE = 36;
export const FINISHED_SIZE = 36;
const MAX_OFFERED = 16;

export const Role = Object.freeze({ CUSTOMER: 1, TECHNICIAN: 2 });
export const roleLabel = (role) => (role === Role.CUSTOMER ? "customer" : "technician");
export const peerRole = (role) => (role === Role.CUSTOMER ? Role.TECHNICIAN : Role.CUSTOMER);

export const FrameType = Object.freeze({
  COMMIT: 1, HELLO: 2, FINISHED: 3, DATA: 16, KEY_UPDATE: 17, CLOSE: 18, ACK: 32, RESUME: 33,
});
export const HANDSHAKE_TYPES = new Set([1, 2, 3]);
export const SEQUENCED_TYPES = new Set([16, 17, 18]);
export const CONTROL_TYPES = new Set([32, 33]);

export const ErrorCode = Object.freeze({
  NORMAL: 0, MALFORMED_FRAME: 1, FRAME_TOO_LARGE: 2, VERSION_MISMATCH: 3,
  NO_COMMON_VERSION: 4, DOWNGRADE: 5, UNEXPECTED_FRAME: 6, BAD_CERTIFICATE: 7,
  CERTIFICATE_EXPIRED: 8, CERTIFICATE_MISMATCH: 9, BAD_PUBLIC_KEY: 10,
  COMMITMENT_MISMATCH: 11, KEY_CONFIRMATION_FAILED: 12, AUTHENTICATION_FAILED: 13,
  REPLAYED: 14, OUT_OF_ORDER: 15, REFLECTED: 16, TRUNCATED: 17, LIMIT_REACHED: 18,
  RESUME_FAILED: 19, APPLICATION: 1000,
});

/** The channel cannot go on; `code` is the wire error code. */
export class ChannelError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "ChannelError";
    this.code = code;
  }
}

/** The application misused the channel (closed, or the send buffer is full). */
export class UsageError extends Error {
  constructor(message, { bufferFull = false } = {}) {
    super(message);
    this.name = bufferFull ? "SendBufferFull" : "UsageError";
    this.bufferFull = bufferFull;
  }
}

export const fail = (code, message) => { throw new ChannelError(code, message); };

export const DEFAULT_LIMITS = Object.freeze({
  maxPayload: 1 << 20,
  retransmitBytes: 8 << 20,
  framesPerKey: 2 ** 32,
  bytesPerKey: 2 ** 36,
  maxSequence: Number.MAX_SAFE_INTEGER, // the spec's 2^64-1 is out of reach anyway
  ackFrames: 16,
  ackBytes: 256 << 10,
});

/** Defaults merged with overrides, checked like the Python `Limits`. */
export function makeLimits(overrides = {}) {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  limits.maxFrame = HEADER_SIZE + limits.maxPayload + TAG_SIZE;
  if (limits.framesPerKey < 4 || limits.maxSequence < 4) throw new RangeError("limits too small");
  if (limits.retransmitBytes < limits.ackBytes + 2 * limits.maxFrame) {
    throw new RangeError("retransmitBytes must exceed ackBytes + 2 frames");
  }
  return Object.freeze(limits);
}

// -- bytes ------------------------------------------------------------------

export const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeText(bytes, code, what) {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return fail(code, `${what} is not UTF-8`);
  }
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
export function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** The 96-bit AES-GCM nonce: four zero bytes, then the 64-bit counter. */
export function nonce(counter) {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, BigInt(counter));
  return out;
}

// -- headers ----------------------------------------------------------------

/** The 20-byte header of frames after the handshake; also the AES-GCM AAD. */
export function packHeader(version, type, sender, epoch, sequence, ack) {
  const out = new Uint8Array(HEADER_SIZE);
  const view = new DataView(out.buffer);
  out[0] = version; out[1] = type; out[2] = sender; out[3] = epoch;
  view.setBigUint64(4, BigInt(sequence));
  view.setBigUint64(12, BigInt(ack));
  return out;
}

export function frameType(frame) {
  if (frame.length < 4) fail(ErrorCode.MALFORMED_FRAME, "frame shorter than 4 bytes");
  const type = frame[1];
  if (!HANDSHAKE_TYPES.has(type) && !SEQUENCED_TYPES.has(type) && !CONTROL_TYPES.has(type)) {
    fail(ErrorCode.MALFORMED_FRAME, `unknown frame type ${type}`);
  }
  return type;
}

export function senderRole(frame) {
  const role = frame[2];
  if (role !== Role.CUSTOMER && role !== Role.TECHNICIAN) {
    fail(ErrorCode.MALFORMED_FRAME, `unknown sender role ${role}`);
  }
  return role;
}

const u64 = (view, offset) => {
  const big = view.getBigUint64(offset);
  return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER + 1 : Number(big);
};

/** Size and version checks, then the decoded header of a post-handshake frame. */
export function parseHeader(frame, version, limits) {
  if (frame.length > limits.maxFrame) fail(ErrorCode.FRAME_TOO_LARGE, `frame of ${frame.length} bytes`);
  if (frame.length < HEADER_SIZE + TAG_SIZE) fail(ErrorCode.MALFORMED_FRAME, "frame truncated");
  if (frame[0] !== version) fail(ErrorCode.VERSION_MISMATCH, `frame version ${frame[0]}`);
  const type = frameType(frame);
  if (!SEQUENCED_TYPES.has(type) && !CONTROL_TYPES.has(type)) {
    fail(ErrorCode.UNEXPECTED_FRAME, `frame type ${type} after the handshake`);
  }
  const view = new DataView(frame.buffer, frame.byteOffset, HEADER_SIZE);
  return {
    version, type, sender: senderRole(frame), epoch: frame[3],
    sequence: u64(view, 4), ack: u64(view, 12),
    aad: frame.subarray(0, HEADER_SIZE),
  };
}

// -- handshake frames -------------------------------------------------------

export const shortHeader = (version, type, sender) => new Uint8Array([version, type, sender, 0]);

export function encodeHello(sender, versions, random, certificate) {
  const length = new Uint8Array(2);
  new DataView(length.buffer).setUint16(0, certificate.length);
  return concat(
    shortHeader(HELLO_FORMAT, FrameType.HELLO, sender),
    new Uint8Array([versions.length, ...versions]),
    random, length, certificate,
  );
}

export function checkShortHeader(frame, version, size) {
  if (frame.length > MAX_HANDSHAKE_FRAME) fail(ErrorCode.FRAME_TOO_LARGE, "handshake frame too large");
  if (size !== null && frame.length !== size) fail(ErrorCode.MALFORMED_FRAME, "handshake frame size");
  if (frame.length < 4) fail(ErrorCode.MALFORMED_FRAME, "handshake frame truncated");
  if (frame[0] !== version) fail(ErrorCode.VERSION_MISMATCH, `handshake frame version ${frame[0]}`);
  if (frame[3] !== 0) fail(ErrorCode.MALFORMED_FRAME, "handshake frame flags are not zero");
}

export function decodeHello(frame) {
  checkShortHeader(frame, HELLO_FORMAT, null);
  let offset = 4;
  const count = frame.length > offset ? frame[offset] : 0;
  const versions = Array.from(frame.subarray(offset + 1, offset + 1 + count));
  if (count < 1 || count > MAX_OFFERED || versions.length !== count) {
    fail(ErrorCode.MALFORMED_FRAME, "hello offers no version");
  }
  for (let i = 0; i < count; i++) {
    if (versions[i] === 0 || (i > 0 && versions[i] >= versions[i - 1])) {
      fail(ErrorCode.MALFORMED_FRAME, "hello versions must be distinct, non-zero, descending");
    }
  }
  offset += 1 + count;
  const random = frame.subarray(offset, offset + RANDOM_SIZE);
  offset += RANDOM_SIZE;
  if (frame.length < offset + 2) fail(ErrorCode.MALFORMED_FRAME, "hello truncated");
  const size = (frame[offset] << 8) | frame[offset + 1];
  const certificate = frame.subarray(offset + 2);
  if (certificate.length !== size) fail(ErrorCode.MALFORMED_FRAME, "hello certificate length");
  return { sender: frame[2], versions, random, certificate };
}
