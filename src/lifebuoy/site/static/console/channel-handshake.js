// Lifebuoy channel v1: the handshake (docs/protocol.md, "Handshake").
//
//   customer                         technician
//   COMMIT = SHA-256(hello_c)   -->
//                               <--  HELLO_t
//   HELLO_c, FINISHED_c         -->
//                               <--  FINISHED_t

import {
  COMMIT_SIZE, ErrorCode, FINISHED_SIZE, FrameType, HELLO_FORMAT, RANDOM_SIZE, Role,
  bytesEqual, checkShortHeader, concat, decodeHello, encodeHello, fail, peerRole, shortHeader,
} from "./channel-frames.js";
import {
  comparisonCode, directionKeys, finishedMac, sha256, sharedSecret, transcriptHash,
  verifyKeyCertificate,
} from "./channel-keys.js";

export class Handshake {
  constructor({ certificate, privateKey, siteKeys, versions, randomBytes }) {
    this.role = certificate.role;
    this.cert = certificate;
    this.privateKey = privateKey;
    this.siteKeys = siteKeys;
    this.versions = versions;
    this.hello = encodeHello(this.role, versions, randomBytes(RANDOM_SIZE), certificate.encoded);
    this.commit = null;
    this.peerHello = null;
    this.secret = null;
    this.result = null;
    this.step = "start";
  }

  /** Frames to send first: the commit for the customer, none otherwise. */
  async start() {
    if (this.step !== "start") return [];
    if (this.role === Role.TECHNICIAN) {
      this.step = "wait-commit";
      return [];
    }
    this.commit = concat(shortHeader(HELLO_FORMAT, FrameType.COMMIT, Role.CUSTOMER), await sha256(this.hello));
    this.step = "wait-hello";
    return [this.commit];
  }

  /** One handshake frame in; frames to send and, at the end, the result out. */
  async receive(frame, now) {
    const first = await this.start();
    const type = frame[1];
    if (this.step === "wait-commit" && type === FrameType.COMMIT) {
      checkShortHeader(frame, HELLO_FORMAT, COMMIT_SIZE);
      this.commit = frame.slice();
      this.step = "wait-hello";
      return { frames: [...first, this.hello], result: null };
    }
    if (this.step === "wait-hello" && type === FrameType.HELLO) {
      return { frames: [...first, ...(await this.onHello(frame.slice(), now))], result: null };
    }
    if (this.step === "wait-finished" && type === FrameType.FINISHED) return this.onFinished(frame);
    return fail(ErrorCode.UNEXPECTED_FRAME, `frame type ${type} in handshake step ${this.step}`);
  }

  async onHello(frame, now) {
    const hello = decodeHello(frame);
    if (this.role === Role.TECHNICIAN) {
      const digest = await sha256(frame);
      if (!bytesEqual(digest, this.commit.subarray(4))) {
        fail(ErrorCode.COMMITMENT_MISMATCH, "customer hello does not match its commit");
      }
    }
    const peer = await this.checkPeer(hello, now);
    const version = this.chooseVersion(hello);
    const secret = await sharedSecret(this.privateKey, peer.publicKey);

    this.peerHello = frame;
    this.secret = secret;
    this.result = await this.derive(version, secret, peer);
    this.step = "wait-finished";
    if (this.role === Role.TECHNICIAN) return [];
    return [this.hello, await this.finished()];
  }

  async onFinished(frame) {
    checkShortHeader(frame, this.result.version, FINISHED_SIZE);
    const expected = await finishedMac(this.secret, this.result.transcript, peerRole(this.role), frame.subarray(0, 4));
    if (!bytesEqual(expected, frame.subarray(4))) {
      fail(ErrorCode.KEY_CONFIRMATION_FAILED, "peer finished does not match");
    }
    const reply = this.role === Role.TECHNICIAN ? [await this.finished()] : [];
    this.step = "done";
    this.secret = null;
    return { frames: reply, result: this.result };
  }

  async checkPeer(hello, now) {
    const peer = await verifyKeyCertificate(hello.certificate, this.siteKeys, now);
    if (peer.sessionId !== this.cert.sessionId) {
      fail(ErrorCode.CERTIFICATE_MISMATCH, "peer certificate is for another session");
    }
    if (peer.role !== peerRole(this.role) || hello.sender !== peer.role) {
      fail(ErrorCode.CERTIFICATE_MISMATCH, "peer certificate is for the wrong role");
    }
    if (hello.versions[0] !== peer.maxVersion) {
      fail(ErrorCode.DOWNGRADE, `peer offers up to v${hello.versions[0]}, its certificate says v${peer.maxVersion}`);
    }
    return peer;
  }

  chooseVersion(hello) {
    const common = hello.versions.filter((v) => this.versions.includes(v));
    if (common.length === 0) fail(ErrorCode.NO_COMMON_VERSION, `peer offers ${hello.versions}`);
    return Math.max(...common);
  }

  async derive(version, secret, peer) {
    const [technicianHello, customerHello] =
      this.role === Role.CUSTOMER ? [this.peerHello, this.hello] : [this.hello, this.peerHello];
    const transcript = await transcriptHash(this.commit, technicianHello, customerHello);
    return {
      version,
      transcript,
      comparisonCode: await comparisonCode(transcript),
      peer,
      send: await directionKeys(secret, transcript, this.role),
      receive: await directionKeys(secret, transcript, peerRole(this.role)),
    };
  }

  async finished() {
    const header = shortHeader(this.result.version, FrameType.FINISHED, this.role);
    return concat(header, await finishedMac(this.secret, this.result.transcript, this.role, header));
  }
}
