// A JS channel peer on stdin/stdout, for the Python interop test.
//
// Each message is: u32 length (big-endian), one kind byte, then the body.
// Kind "J": a JSON object; kind "F": one channel frame.
// 1. We send J {public_key}; 2. we get J {role, session_id, certificate,
// site_keys, now}; 3. frames flow. Every message received is echoed back
// reversed; handshake and close are reported as J objects.
import { Channel, Role } from "../../src/lifebuoy/site/static/console/channel.js";
import { fromHex, toHex } from "../../src/lifebuoy/site/static/console/channel-frames.js";

const subtle = globalThis.crypto.subtle;
const keyPair = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
let channel = null;
let now = 0;
let chain = Promise.resolve();
let pending = Buffer.alloc(0);

function write(kind, body) {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length + 1, 0);
  head.write(kind, 4, "latin1");
  process.stdout.write(Buffer.concat([head, Buffer.from(body)]));
}

const writeJson = (value) => write("J", Buffer.from(JSON.stringify(value)));
const flush = () => { for (const frame of channel.framesToSend()) write("F", frame); };

async function configure(config) {
  now = config.now;
  const siteKeys = Object.fromEntries(Object.entries(config.site_keys).map(([k, v]) => [k, fromHex(v)]));
  channel = await Channel.create({
    role: config.role === "customer" ? Role.CUSTOMER : Role.TECHNICIAN,
    sessionId: config.session_id, certificate: fromHex(config.certificate), keyPair, siteKeys, now,
  });
  await channel.initiate();
  flush();
}

async function onFrame(frame) {
  for (const event of await channel.receiveFrame(frame, now)) {
    if (event.type === "handshake-complete") {
      writeJson({ event: "handshake", code: event.comparisonCode, peer: event.peerParticipant });
      await channel.sendMessage(new TextEncoder().encode("hello from js"));
    } else if (event.type === "message") {
      await channel.sendMessage(Uint8Array.from(event.data).reverse());
    } else if (event.type === "closed") {
      flush();
      writeJson({ event: "closed", code: event.code, clean: event.clean, reason: event.reason });
      process.exitCode = 0;
      setTimeout(() => process.exit(0), 50);
    }
  }
  await channel.acknowledge();
  flush();
}

function handle(kind, body) {
  chain = chain.then(() => (kind === "J" ? configure(JSON.parse(body.toString())) : onFrame(new Uint8Array(body))));
  chain.catch((error) => { process.stderr.write(`${error.stack}\n`); process.exit(2); });
}

process.stdin.on("data", (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
    const size = pending.readUInt32BE(0);
    handle(String.fromCharCode(pending[4]), pending.subarray(5, 4 + size));
    pending = pending.subarray(4 + size);
  }
});

writeJson({ public_key: toHex(new Uint8Array(await subtle.exportKey("raw", keyPair.publicKey))) });
