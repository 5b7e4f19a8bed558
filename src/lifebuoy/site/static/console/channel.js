// Lifebuoy channel v1 for the browser console (docs/protocol.md).
//
// The same protocol as the Python package lifebuoy.protocol, on WebCrypto only.
// Sans-I/O: bytes in, events out. Every method is async (WebCrypto is) and
// calls are serialised internally, so frames come out in call order.
//
//   const channel = await Channel.create({ role: Role.TECHNICIAN, sessionId,
//     certificate, keyPair, siteKeys: { "k1": rawEd25519PublicKey }, now });
//   await channel.initiate();
//   for each binary message m: events = await channel.receiveFrame(m, now);
//   then send every frame of channel.framesToSend() as one binary message.
//
// Events: {type: "handshake-complete", comparisonCode, peerRole, peerParticipant,
// peerCertificate, version}, {type: "message", data}, {type: "resumed",
// retransmitted}, {type: "send-capacity", capacity},
// {type: "closed", code, reason, clean, byPeer}.

import {
  CONTROL_TYPES, ChannelError, ErrorCode, FrameType, HANDSHAKE_TYPES, HEADER_SIZE, Role,
  SEQUENCED_TYPES, SUPPORTED_VERSIONS, TAG_SIZE, UsageError, asBytes, bytesEqual, decodeText,
  fail, frameType, makeLimits, parseHeader, roleLabel, senderRole, utf8,
} from "./channel-frames.js";
import { Handshake } from "./channel-handshake.js";
import { verifyKeyCertificate } from "./channel-keys.js";
import { Receiver, Sender } from "./channel-records.js";

export { ChannelError, ErrorCode, Role, UsageError } from "./channel-frames.js";
export { issueKeyCertificate, verifyKeyCertificate, importPrivateKey } from "./channel-keys.js";

const OVERHEAD = HEADER_SIZE + TAG_SIZE;
const MAX_REASON = 256;

export class Channel {
  /** Check the own certificate and build a channel (nothing is sent yet). */
  static async create({
    role, sessionId, certificate, keyPair, siteKeys, now, limits = {},
    versions = SUPPORTED_VERSIONS, randomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
  }) {
    const own = await verifyKeyCertificate(asBytes(certificate), siteKeys, now);
    if (own.role !== role || own.sessionId !== sessionId) {
      fail(ErrorCode.CERTIFICATE_MISMATCH, "own certificate is for another role or session");
    }
    const publicKey = new Uint8Array(await globalThis.crypto.subtle.exportKey("raw", keyPair.publicKey));
    if (!bytesEqual(publicKey, own.publicKey)) fail(ErrorCode.CERTIFICATE_MISMATCH, "own certificate is for another key");
    if (own.maxVersion !== versions[0]) fail(ErrorCode.CERTIFICATE_MISMATCH, "own certificate names another version");
    const handshake = new Handshake({ certificate: own, privateKey: keyPair.privateKey, siteKeys, versions, randomBytes });
    return new Channel(role, makeLimits(limits), handshake);
  }

  constructor(role, limits, handshake) {
    this.role = role;
    this.limits = limits;
    this.handshake = handshake;
    this.result = null;
    this.sender = null;
    this.receiver = null;
    this.outgoing = [];
    this.pending = [];
    this.pendingBytes = 0;
    this.link = "up";
    this.closeSent = null;
    this.closed = false;
    this.refused = 0;
    this.ackFrames = 0;
    this.ackBytes = 0;
    this.queue = Promise.resolve();
  }

  serial(fn) {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  get isOpen() { return this.result !== null && !this.closed; }
  get comparisonCode() { return this.result ? this.result.comparisonCode : null; }
  get peerCertificate() { return this.result ? this.result.peer : null; }

  get sendCapacity() {
    const used = this.pendingBytes + (this.sender ? this.sender.unackedBytes : 0);
    const room = this.limits.retransmitBytes - used - 2 * OVERHEAD;
    return Math.max(0, Math.min(this.limits.maxPayload, room));
  }

  // -- application calls ----------------------------------------------------

  initiate() {
    return this.serial(async () => { this.outgoing.push(...(await this.handshake.start())); });
  }

  sendMessage(data) {
    const bytes = asBytes(data).slice();
    return this.serial(async () => {
      if (this.closed || this.closeSent) throw new UsageError("the channel is closed");
      if (bytes.length > this.limits.maxPayload) throw new UsageError("message exceeds maxPayload");
      if (bytes.length > this.sendCapacity) {
        this.refused = bytes.length;
        throw new UsageError(`${this.sendCapacity} bytes free`, { bufferFull: true });
      }
      if (this.sender === null) {
        this.pending.push(bytes);
        this.pendingBytes += bytes.length + OVERHEAD;
        return;
      }
      await this.sealMessage(bytes);
    });
  }

  /** Frames to write to the transport now, in order (one binary message each). */
  framesToSend() {
    const frames = this.outgoing;
    this.outgoing = [];
    return frames;
  }

  acknowledge() {
    return this.serial(() => this.ackNow());
  }

  close(reason = "", code = ErrorCode.NORMAL) {
    return this.serial(async () => {
      if (this.closed || this.closeSent) return;
      if (this.sender === null) {
        this.closed = true;
        return;
      }
      await this.sendClose(code, reason);
    });
  }

  transportLost() {
    return this.serial(async () => {
      if (this.closed) return [];
      this.outgoing = [];
      if (this.result === null) return this.failWith(new ChannelError(ErrorCode.TRUNCATED, "transport lost during the handshake"));
      this.link = "down";
      return [];
    });
  }

  resume() {
    return this.serial(() => this.resumeNow());
  }

  abandon(reason = "transport not resumed") {
    return this.serial(async () => {
      if (this.closed) return [];
      this.closed = true;
      this.outgoing = [];
      return [{ type: "closed", code: ErrorCode.TRUNCATED, reason, clean: false, byPeer: false }];
    });
  }

  // -- receiving ------------------------------------------------------------

  /** Handle one frame from the transport; errors end the channel. */
  receiveFrame(frame, now) {
    const bytes = asBytes(frame);
    return this.serial(async () => {
      if (this.closed) return [];
      try {
        return await this.receive(bytes, now);
      } catch (error) {
        if (error instanceof ChannelError) return this.failWith(error);
        throw error;
      }
    });
  }

  async receive(frame, now) {
    const type = frameType(frame);
    if (senderRole(frame) === this.role) fail(ErrorCode.REFLECTED, `frame type ${type} came back`);
    if (HANDSHAKE_TYPES.has(type)) {
      if (this.result !== null) fail(ErrorCode.UNEXPECTED_FRAME, `frame type ${type} after the handshake`);
      return this.onHandshake(frame, now);
    }
    if (this.result === null) fail(ErrorCode.UNEXPECTED_FRAME, `frame type ${type} before the handshake completed`);
    const header = parseHeader(frame, this.result.version, this.limits);
    if (SEQUENCED_TYPES.has(type)) return this.onSequenced(header, frame);
    if (CONTROL_TYPES.has(type)) return this.onControl(header, frame);
    return fail(ErrorCode.UNEXPECTED_FRAME, `frame type ${type}`);
  }

  async onHandshake(frame, now) {
    const { frames, result } = await this.handshake.receive(frame, now);
    this.outgoing.push(...frames);
    if (result === null) return [];
    this.result = result;
    this.sender = new Sender(this.role, result.version, result.send, this.limits);
    this.receiver = new Receiver(result.receive, this.limits);
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const message of pending) await this.sealMessage(message);
    const peer = result.peer;
    return [{
      type: "handshake-complete", comparisonCode: result.comparisonCode,
      peerRole: roleLabel(peer.role), peerParticipant: peer.participantId,
      peerCertificate: peer, version: result.version,
    }];
  }

  async onSequenced(header, frame) {
    const payload = await this.receiver.open(header, frame);
    const events = this.onAck(header.ack);
    this.ackFrames += 1;
    this.ackBytes += frame.length;
    if (header.type === FrameType.CLOSE) return [...events, ...(await this.onClose(payload))];
    if (header.type === FrameType.KEY_UPDATE) {
      if (payload.length) fail(ErrorCode.MALFORMED_FRAME, "key update with a payload");
      await this.receiver.updateKey();
    } else {
      events.push({ type: "message", data: payload });
    }
    if (this.ackFrames >= this.limits.ackFrames || this.ackBytes >= this.limits.ackBytes) await this.ackNow();
    return events;
  }

  async onControl(header, frame) {
    await this.receiver.openControl(header, frame);
    if (header.type === FrameType.ACK) return this.onAck(header.ack);
    const retransmit = this.sender.resumeFrom(header.ack);
    if (this.link !== "resuming") await this.resumeNow();
    const ownResume = this.outgoing.filter((f) => f[1] === FrameType.RESUME);
    this.outgoing = [...ownResume, ...retransmit];
    this.link = "up";
    return [{ type: "resumed", retransmitted: retransmit.length }, ...this.capacityEvent()];
  }

  onAck(ack) {
    return this.sender.acknowledge(ack) ? this.capacityEvent() : [];
  }

  capacityEvent() {
    if (this.refused && this.sendCapacity >= this.refused) {
      this.refused = 0;
      return [{ type: "send-capacity", capacity: this.sendCapacity }];
    }
    return [];
  }

  async onClose(payload) {
    if (payload.length < 2) fail(ErrorCode.MALFORMED_FRAME, "close without a code");
    const code = (payload[0] << 8) | payload[1];
    const reason = decodeText(payload.subarray(2), ErrorCode.MALFORMED_FRAME, "close reason");
    let event;
    if (this.closeSent === null) {
      await this.sendClose(ErrorCode.NORMAL, "");
      event = { type: "closed", code, reason, clean: true, byPeer: true };
    } else {
      event = { type: "closed", code: this.closeSent.code, reason: this.closeSent.reason, clean: true, byPeer: false };
    }
    this.closed = true;
    return [event];
  }

  // -- sending --------------------------------------------------------------

  async sealMessage(data) {
    let frames;
    try {
      frames = await this.sender.sealData(data, this.receiver.nextSequence);
    } catch (error) {
      if (error instanceof ChannelError) await this.failWith(error);
      throw error;
    }
    this.queueFrames(frames);
  }

  async sendClose(code, reason) {
    let text = utf8.encode(reason);
    if (text.length > MAX_REASON) text = utf8.encode(new TextDecoder().decode(text.subarray(0, MAX_REASON)).replace(/\uFFFD$/, ""));
    const payload = new Uint8Array(2 + text.length);
    payload[0] = code >> 8;
    payload[1] = code & 0xff;
    payload.set(text, 2);
    const frame = await this.sender.seal(FrameType.CLOSE, payload, this.receiver.nextSequence);
    this.closeSent = { code, reason: new TextDecoder().decode(text) };
    this.queueFrames([frame]);
  }

  queueFrames(frames) {
    this.ackFrames = 0;
    this.ackBytes = 0;
    if (this.link === "up") this.outgoing.push(...frames);
  }

  async ackNow() {
    if (!this.ackFrames || this.link !== "up" || this.closed || !this.sender) return;
    const frame = await this.sender.sealControl(FrameType.ACK, this.receiver.nextSequence);
    if (frame !== null) {
      this.outgoing.push(frame);
      this.ackFrames = 0;
      this.ackBytes = 0;
    }
  }

  async resumeNow() {
    if (this.closed) throw new UsageError("the channel is closed");
    if (this.sender === null) throw new UsageError("nothing to resume before the handshake completes");
    const frame = await this.sender.sealControl(FrameType.RESUME, this.receiver.nextSequence);
    if (frame === null) fail(ErrorCode.LIMIT_REACHED, "control counter used up");
    this.outgoing = [frame];
    this.link = "resuming";
    this.ackFrames = 0;
    this.ackBytes = 0;
  }

  async failWith(error) {
    if (this.sender !== null && this.closeSent === null) {
      try {
        await this.sendClose(error.code, error.message);
      } catch (inner) {
        if (!(inner instanceof ChannelError)) throw inner;
      }
    }
    this.closed = true;
    return [{ type: "closed", code: error.code, reason: error.message, clean: false, byPeer: false }];
  }
}
