// Lifebuoy channel v1: the record layer (docs/protocol.md, "Records").

import {
  ErrorCode, FrameType, HEADER_SIZE, TAG_SIZE, fail, nonce, packHeader,
} from "./channel-frames.js";

const subtle = globalThis.crypto.subtle;

async function encrypt(key, counter, header, payload) {
  const params = { name: "AES-GCM", iv: nonce(counter), additionalData: header, tagLength: 128 };
  const sealed = new Uint8Array(await subtle.encrypt(params, key, payload));
  const frame = new Uint8Array(HEADER_SIZE + sealed.length);
  frame.set(header, 0);
  frame.set(sealed, HEADER_SIZE);
  return frame;
}

async function decrypt(key, counter, frame) {
  const params = {
    name: "AES-GCM", iv: nonce(counter), additionalData: frame.subarray(0, HEADER_SIZE), tagLength: 128,
  };
  try {
    return new Uint8Array(await subtle.decrypt(params, key, frame.subarray(HEADER_SIZE)));
  } catch {
    return fail(ErrorCode.AUTHENTICATION_FAILED, "frame failed authentication");
  }
}

/** Seals this party's frames and keeps the unacknowledged ones. */
export class Sender {
  constructor(role, version, keys, limits) {
    this.role = role;
    this.version = version;
    this.chain = keys.data;
    this.control = keys.control;
    this.limits = limits;
    this.nextSequence = 0;
    this.acked = 0;
    this.controlCounter = 0;
    this.keyFrames = 0;
    this.keyBytes = 0;
    this.unacked = []; // [sequence, frame], oldest first
    this.unackedBytes = 0;
  }

  roomForData() {
    return this.nextSequence + 2 < this.limits.maxSequence;
  }

  /** A data frame, preceded by a key update when the key is used up. */
  async sealData(payload, ack) {
    const frames = [];
    if (this.keyFrames + 1 >= this.limits.framesPerKey || this.keyBytes + payload.length > this.limits.bytesPerKey) {
      frames.push(await this.seal(FrameType.KEY_UPDATE, new Uint8Array(0), ack));
    }
    if (!this.roomForData()) fail(ErrorCode.LIMIT_REACHED, "sequence numbers used up");
    frames.push(await this.seal(FrameType.DATA, payload, ack));
    this.keyBytes += payload.length;
    return frames;
  }

  /** Encrypt one sequenced frame and keep it until acknowledged. */
  async seal(type, payload, ack) {
    const sequence = this.nextSequence;
    if (sequence >= this.limits.maxSequence || this.keyFrames >= this.limits.framesPerKey) {
      fail(ErrorCode.LIMIT_REACHED, "no sequence number or key use left");
    }
    const header = packHeader(this.version, type, this.role, this.chain.epoch % 256, sequence, ack);
    this.nextSequence += 1;
    this.keyFrames += 1;
    const frame = await encrypt(this.chain.key, sequence, header, payload);
    this.unacked.push([sequence, frame]);
    this.unackedBytes += frame.length;
    if (type === FrameType.KEY_UPDATE) {
      this.chain = await this.chain.advance();
      this.keyFrames = 0;
      this.keyBytes = 0;
    }
    return frame;
  }

  /** An acknowledgement or resume frame; null once counters are used up. */
  async sealControl(type, ack) {
    const counter = this.controlCounter;
    if (counter >= this.limits.maxSequence) return null;
    this.controlCounter += 1;
    const header = packHeader(this.version, type, this.role, 0, counter, ack);
    return encrypt(this.control, counter, header, new Uint8Array(0));
  }

  /** Forget frames the peer has received; return how many bytes that freed. */
  acknowledge(ack) {
    if (ack > this.nextSequence) fail(ErrorCode.MALFORMED_FRAME, `ack ${ack} for frames never sent`);
    let freed = 0;
    let drop = 0;
    while (drop < this.unacked.length && this.unacked[drop][0] < ack) freed += this.unacked[drop++][1].length;
    if (drop) this.unacked.splice(0, drop);
    this.unackedBytes -= freed;
    this.acked = Math.max(this.acked, ack);
    return freed;
  }

  /** Apply the peer's resume and return every frame it has not received. */
  resumeFrom(ack) {
    if (ack < this.acked || ack > this.nextSequence) {
      fail(ErrorCode.RESUME_FAILED, `peer resumes at ${ack}; acknowledged ${this.acked}, sent ${this.nextSequence}`);
    }
    this.acknowledge(ack);
    return this.unacked.map(([, frame]) => frame);
  }
}

/** Checks and opens the peer's frames. */
export class Receiver {
  constructor(keys, limits) {
    this.chain = keys.data;
    this.control = keys.control;
    this.limits = limits;
    this.nextSequence = 0;
    this.lastControl = -1;
    this.keyFrames = 0;
    this.keyBytes = 0;
  }

  /** Check order and limits, then decrypt a sequenced frame. */
  async open(header, frame) {
    const sequence = header.sequence;
    if (sequence < this.nextSequence) fail(ErrorCode.REPLAYED, `frame ${sequence} already received`);
    if (sequence > this.nextSequence) fail(ErrorCode.OUT_OF_ORDER, `frame ${sequence} while ${this.nextSequence} is due`);
    if (sequence >= this.limits.maxSequence) fail(ErrorCode.LIMIT_REACHED, "peer went past the last sequence number");
    if (this.keyFrames >= this.limits.framesPerKey) fail(ErrorCode.LIMIT_REACHED, "peer used a key past its frame limit");
    if (header.epoch !== this.chain.epoch % 256) fail(ErrorCode.AUTHENTICATION_FAILED, `frame for key epoch ${header.epoch}`);

    const payload = await decrypt(this.chain.key, sequence, frame);
    if (header.type === FrameType.DATA) {
      this.keyBytes += payload.length;
      if (this.keyBytes > this.limits.bytesPerKey) fail(ErrorCode.LIMIT_REACHED, "peer used a key past its byte limit");
    }
    this.nextSequence += 1;
    this.keyFrames += 1;
    return payload;
  }

  /** Check the counter and authenticate an acknowledgement or resume. */
  async openControl(header, frame) {
    if (header.sequence <= this.lastControl) fail(ErrorCode.REPLAYED, `control frame ${header.sequence} already received`);
    if (header.epoch !== 0) fail(ErrorCode.MALFORMED_FRAME, "control frame with a key epoch");
    const payload = await decrypt(this.control, header.sequence, frame);
    if (payload.length) fail(ErrorCode.MALFORMED_FRAME, "control frame with a payload");
    this.lastControl = header.sequence;
  }

  async updateKey() {
    this.chain = await this.chain.advance();
    this.keyFrames = 0;
    this.keyBytes = 0;
  }
}

export { TAG_SIZE };
