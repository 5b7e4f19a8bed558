// Lifebuoy channel v1: certificates and the key schedule (docs/protocol.md).

import {
  ErrorCode, Role, bytesEqual, concat, decodeText, fail, roleLabel, utf8,
} from "./channel-frames.js";

const subtle = globalThis.crypto.subtle;
const LABEL = "lifebuoy/1 ";
const CERT_MAGIC = utf8.encode("LBKC");
const CERT_CONTEXT = utf8.encode("Lifebuoy key certificate\x00");
const CERT_FIXED = 4 + 4 + 16 + 32;
const SIGNATURE_SIZE = 64;
export const CLOCK_SKEW = 300;

// -- primitives -------------------------------------------------------------

export async function sha256(...parts) {
  return new Uint8Array(await subtle.digest("SHA-256", concat(...parts)));
}

/** HKDF-SHA256, extract then expand (RFC 5869). */
export async function hkdf(ikm, salt, info, length = 32) {
  const key = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const params = { name: "HKDF", hash: "SHA-256", salt, info: utf8.encode(info) };
  return new Uint8Array(await subtle.deriveBits(params, key, length * 8));
}

export async function hmacSha256(key, data) {
  const k = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", k, data));
}

export const aesKey = (raw) =>
  subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);

/** X25519 with the peer's key; low-order keys (all-zero result) are refused. */
export async function sharedSecret(privateKey, peerPublic) {
  let secret;
  try {
    const peer = await subtle.importKey("raw", peerPublic, { name: "X25519" }, false, []);
    secret = new Uint8Array(await subtle.deriveBits({ name: "X25519", public: peer }, privateKey, 256));
  } catch {
    fail(ErrorCode.BAD_PUBLIC_KEY, "peer X25519 key gives no shared secret");
  }
  if (secret.every((b) => b === 0)) fail(ErrorCode.BAD_PUBLIC_KEY, "peer X25519 key is of low order");
  return secret;
}

const PKCS8 = {
  X25519: "302e020100300506032b656e04220420",
  Ed25519: "302e020100300506032b657004220420",
};

/** Import a raw 32-byte X25519 or Ed25519 private key (tests and vectors). */
export function importPrivateKey(algorithm, raw, usages) {
  const prefix = Uint8Array.from(PKCS8[algorithm].match(/../g), (h) => parseInt(h, 16));
  return subtle.importKey("pkcs8", concat(prefix, raw), { name: algorithm }, true, usages);
}

// -- the key schedule -------------------------------------------------------

export async function transcriptHash(commit, technicianHello, customerHello) {
  const parts = [utf8.encode("lifebuoy/1 transcript")];
  for (const frame of [commit, technicianHello, customerHello]) {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, frame.length);
    parts.push(length, frame);
  }
  return sha256(...parts);
}

export async function comparisonCode(transcript) {
  const digest = await sha256(utf8.encode("lifebuoy/1 comparison code"), transcript);
  const value = new DataView(digest.buffer).getBigUint64(0) % 1000000n;
  const digits = value.toString().padStart(6, "0");
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}

export async function finishedMac(secret, transcript, role, header) {
  const key = await hkdf(secret, transcript, `${LABEL}finished ${roleLabel(role)}`);
  return hmacSha256(key, concat(header, transcript));
}

/** Data keys of one direction at one epoch. */
export class KeyChain {
  static async create(secret, epoch = 0) {
    const chain = new KeyChain();
    chain.secret = secret;
    chain.epoch = epoch;
    chain.key = await aesKey(await hkdf(secret, new Uint8Array(0), `${LABEL}key`));
    return chain;
  }

  async advance() {
    return KeyChain.create(await hkdf(this.secret, new Uint8Array(0), `${LABEL}next`), this.epoch + 1);
  }
}

/** Keys protecting the frames one sender sends. */
export async function directionKeys(secret, transcript, sender) {
  const name = roleLabel(sender);
  const data = await hkdf(secret, transcript, `${LABEL}data ${name}`);
  const control = await hkdf(secret, transcript, `${LABEL}control ${name}`);
  return { data: await KeyChain.create(data), control: await aesKey(control) };
}

// -- key certificates -------------------------------------------------------

function text(value, what) {
  const raw = utf8.encode(value);
  if (raw.length < 1 || raw.length > 255) throw new RangeError(`${what} must be 1 to 255 bytes`);
  return concat(new Uint8Array([raw.length]), raw);
}

/** Sign a key certificate (the site does this in Python; here for tests). */
export async function issueKeyCertificate(signingKey, keyId, {
  sessionId, role, participantId, publicKey, issuedAt, expiresAt, maxVersion = 1,
}) {
  const fixed = new Uint8Array(CERT_FIXED);
  const view = new DataView(fixed.buffer);
  fixed.set(CERT_MAGIC, 0);
  fixed[4] = 1; fixed[5] = maxVersion; fixed[6] = role; fixed[7] = 0;
  view.setBigUint64(8, BigInt(issuedAt));
  view.setBigUint64(16, BigInt(expiresAt));
  fixed.set(publicKey, 24);
  const body = concat(fixed, text(keyId, "keyId"), text(sessionId, "sessionId"), text(participantId, "participantId"));
  const signature = new Uint8Array(await subtle.sign("Ed25519", signingKey, concat(CERT_CONTEXT, body)));
  return concat(body, signature);
}

function decodeCertificate(data) {
  const bad = (why) => fail(ErrorCode.BAD_CERTIFICATE, why);
  if (data.length < CERT_FIXED + 3 + SIGNATURE_SIZE) bad("certificate truncated");
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  if (!bytesEqual(data.subarray(0, 4), CERT_MAGIC) || data[4] !== 1 || data[7] !== 0 || data[5] === 0) {
    bad("not a format-1 key certificate");
  }
  if (data[6] !== Role.CUSTOMER && data[6] !== Role.TECHNICIAN) bad(`unknown role ${data[6]}`);
  const texts = [];
  let offset = CERT_FIXED;
  for (let i = 0; i < 3; i++) {
    const size = offset < data.length ? data[offset] : 0;
    const raw = data.subarray(offset + 1, offset + 1 + size);
    if (size === 0 || raw.length !== size) bad("certificate truncated");
    texts.push(decodeText(raw, ErrorCode.BAD_CERTIFICATE, "certificate text"));
    offset += 1 + size;
  }
  if (data.length !== offset + SIGNATURE_SIZE) bad("certificate has the wrong length");
  const [keyId, sessionId, participantId] = texts;
  return {
    maxVersion: data[5], role: data[6],
    issuedAt: Number(view.getBigUint64(8)), expiresAt: Number(view.getBigUint64(16)),
    publicKey: data.slice(24, 56), keyId, sessionId, participantId, encoded: data.slice(),
    body: data.subarray(0, offset), signature: data.subarray(offset),
  };
}

async function siteKey(siteKeys, keyId) {
  const key = siteKeys instanceof Map ? siteKeys.get(keyId) : Object.hasOwn(siteKeys, keyId) ? siteKeys[keyId] : undefined;
  if (key === undefined) fail(ErrorCode.BAD_CERTIFICATE, `certificate signed by unknown key ${keyId}`);
  if (key instanceof Uint8Array) return subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
  return key;
}

/** Check signature and validity period; return the certificate's contents. */
export async function verifyKeyCertificate(data, siteKeys, now, skew = CLOCK_SKEW) {
  const cert = decodeCertificate(data);
  const key = await siteKey(siteKeys, cert.keyId);
  const ok = await subtle.verify("Ed25519", key, cert.signature, concat(CERT_CONTEXT, cert.body));
  if (!ok) fail(ErrorCode.BAD_CERTIFICATE, "certificate signature does not verify");
  if (now < cert.issuedAt - skew) fail(ErrorCode.CERTIFICATE_EXPIRED, "certificate not valid yet");
  if (now >= cert.expiresAt + skew) fail(ErrorCode.CERTIFICATE_EXPIRED, "certificate expired");
  delete cert.body;
  delete cert.signature;
  return Object.freeze(cert);
}
