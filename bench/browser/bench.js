// The technician's end of the browser bench; bench/_browser.py serves and reads it.
//
// The page makes the session's X25519 key, asks the bench to certify it
// (POST /certify, which answers with the ticket, certificate and gateway URL),
// joins the gateway as the technician with the console's Channel, counts the
// bytes of the messages it decrypts until the customer closes the channel, and
// posts what it measured to /result (also kept in window.benchResult).

import { Channel, Role } from "/console/channel.js";

const subtle = globalThis.crypto.subtle;
const MIB = 2 ** 20;
const ACK = 32;
const fromHex = (hex) => Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const seconds = () => Date.now() / 1000;

async function post(path, body) {
  const response = await fetch(path, { method: "POST", body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/** Receive until the customer's clean close; resolve with counts and times. */
function receiveAll(channel, config) {
  const ws = new WebSocket(config.url);
  ws.binaryType = "arraybuffer";
  const stats = { bytes: 0, messages: 0, acks: 0, start: 0, end: 0 };

  return new Promise((resolve, reject) => {
    const flush = () => {
      for (const frame of channel.framesToSend()) {
        if (frame[1] === ACK) stats.acks += 1;
        ws.send(frame);
      }
    };
    const onEvents = (events) => {
      for (const event of events) {
        if (event.type === "message") {
          stats.bytes += event.data.length;
          stats.messages += 1;
          stats.end = performance.now();
        } else if (event.type === "handshake-complete") {
          stats.start = performance.now();
        } else if (event.type === "closed") {
          flush();
          ws.onclose = null;
          ws.close(1000);
          if (event.clean) resolve(stats);
          else reject(new Error(`channel closed: ${event.code} ${event.reason}`));
          return;
        }
      }
      flush();
    };

    ws.onopen = () => ws.send(config.ticket);
    ws.onclose = (event) => reject(new Error(`WebSocket closed: ${event.code} ${event.reason}`));
    ws.onmessage = ({ data }) => {
      if (typeof data !== "string") {
        channel.receiveFrame(data, seconds()).then(onEvents, reject);
      } else if (JSON.parse(data).type === "paired") {
        channel.initiate().then(flush, reject);
      }
    };
  });
}

/** WebCrypto alone: decrypt `count` sealed frames of `size` bytes, one at a time. */
async function decryptOnly(size, count) {
  const key = await subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  const params = { name: "AES-GCM", iv: new Uint8Array(12), additionalData: new Uint8Array(20) };
  const sealed = await subtle.encrypt(params, key, new Uint8Array(size));
  const start = performance.now();
  for (let i = 0; i < count; i++) await subtle.decrypt(params, key, sealed);
  return (size * count) / MIB / ((performance.now() - start) / 1000);
}

async function main() {
  const keyPair = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
  const publicKey = new Uint8Array(await subtle.exportKey("raw", keyPair.publicKey));
  const config = await post("/certify", { publicKey: toHex(publicKey) });
  const channel = await Channel.create({
    role: Role.TECHNICIAN, sessionId: config.sessionId, certificate: fromHex(config.certificate),
    keyPair, siteKeys: { [config.keyId]: fromHex(config.siteKey) }, now: seconds(),
  });

  const stats = await receiveAll(channel, config);
  const elapsed = (stats.end - stats.start) / 1000;
  window.benchResult = {
    browser_mib_s: stats.bytes / MIB / elapsed,
    browser_decrypt_only_mib_s: await decryptOnly(MIB, 64),
    browser_messages: stats.messages,
    browser_acks: stats.acks,
  };
  await post("/result", window.benchResult);
}

main().catch((error) => post("/result", { error: String(error) }));
