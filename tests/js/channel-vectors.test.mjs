// The shared vectors (tests/vectors/channel-v1.json) replayed by the JS channel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { Channel, Role, importPrivateKey, issueKeyCertificate, verifyKeyCertificate } from "../../src/lifebuoy/site/static/console/channel.js";
import { fromHex, toHex } from "../../src/lifebuoy/site/static/console/channel-frames.js";
import { comparisonCode, hkdf } from "../../src/lifebuoy/site/static/console/channel-keys.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/channel-v1.json", import.meta.url)));
const ROLES = { customer: Role.CUSTOMER, technician: Role.TECHNICIAN };
const siteKeys = { [vectors.site_key.key_id]: fromHex(vectors.site_key.public) };

export function summarize(event) {
  switch (event.type) {
    case "handshake-complete": return `handshake ${event.comparisonCode} ${event.peerParticipant}`;
    case "message": return `message ${toHex(event.data)}`;
    case "resumed": return `resumed ${event.retransmitted}`;
    case "closed": return `closed ${event.code} ${event.clean ? "clean" : "unclean"} ${event.byPeer ? "peer" : "self"}`;
    default: return event.type;
  }
}

async function keyPair(hex) {
  const privateKey = await importPrivateKey("X25519", fromHex(hex), ["deriveBits"]);
  const jwk = await globalThis.crypto.subtle.exportKey("jwk", privateKey);
  delete jwk.d;
  const publicKey = await globalThis.crypto.subtle.importKey("jwk", jwk, { name: "X25519" }, true, []);
  return { privateKey, publicKey };
}

async function channels() {
  const made = {};
  for (const [name, p] of Object.entries(vectors.participants)) {
    const random = fromHex(p.random);
    made[name] = await Channel.create({
      role: ROLES[name], sessionId: vectors.session_id, certificate: fromHex(p.certificate),
      keyPair: await keyPair(p.private_key), siteKeys, now: vectors.now,
      limits: { framesPerKey: vectors.limits.frames_per_key }, randomBytes: (n) => random.slice(0, n),
    });
  }
  return made;
}

/** Play the first `count` steps; check each step's frames and events. */
async function play(count, check = true) {
  const chans = await channels();
  const queues = { customer: [], technician: [] };
  for (const step of vectors.script.slice(0, count)) {
    const by = step.by;
    const other = by === "customer" ? "technician" : "customer";
    const channel = chans[by];
    let events = [];
    if (step.do === "deliver") {
      for (const frame of queues[by]) events.push(...(await channel.receiveFrame(frame, vectors.now)));
      queues[by] = [];
    } else if (step.do === "send") await channel.sendMessage(fromHex(step.data));
    else if (step.do === "close") await channel.close(step.reason);
    else if (step.do === "transport_lost") {
      events = await channel.transportLost();
      queues[other] = [];
    } else if (step.do === "initiate") await channel.initiate();
    else if (step.do === "acknowledge") await channel.acknowledge();
    else if (step.do === "resume") await channel.resume();
    const frames = channel.framesToSend();
    queues[other].push(...frames);
    if (check) {
      assert.deepEqual(frames.map(toHex), step.frames, `frames of step ${by} ${step.do}`);
      assert.deepEqual(events.map(summarize), step.events, `events of step ${by} ${step.do}`);
    }
  }
  return chans;
}

test("certificates are issued byte for byte as in the vectors", async () => {
  const site = await importPrivateKey("Ed25519", fromHex(vectors.site_key.seed), ["sign"]);
  for (const [name, p] of Object.entries(vectors.participants)) {
    const cert = await issueKeyCertificate(site, vectors.site_key.key_id, {
      sessionId: vectors.session_id, role: ROLES[name], participantId: p.participant,
      publicKey: fromHex(p.public_key), issuedAt: p.issued_at, expiresAt: p.expires_at,
    });
    assert.equal(toHex(cert), p.certificate);
    const parsed = await verifyKeyCertificate(cert, siteKeys, vectors.now);
    assert.equal(parsed.participantId, p.participant);
  }
});

test("the script replays with identical frames and events", async () => {
  await play(vectors.script.length);
});

test("the key schedule matches the worked example", async () => {
  const ks = vectors.key_schedule;
  const chans = await play(6, false);
  const result = chans.customer.result;
  assert.equal(toHex(result.transcript), ks.transcript_hash);
  assert.equal(result.comparisonCode, ks.comparison_code);
  assert.equal(await comparisonCode(fromHex(ks.transcript_hash)), ks.comparison_code);
  assert.equal(toHex(result.send.data.secret), ks.customer_data_secret_0);
  assert.equal(toHex(result.receive.data.secret), ks.technician_data_secret_0);
  const key0 = await hkdf(fromHex(ks.customer_data_secret_0), new Uint8Array(0), "lifebuoy/1 key");
  assert.equal(toHex(key0), ks.customer_data_key_0);
  const next = await hkdf(fromHex(ks.customer_data_secret_0), new Uint8Array(0), "lifebuoy/1 next");
  assert.equal(toHex(await hkdf(next, new Uint8Array(0), "lifebuoy/1 key")), ks.customer_data_key_1);
  const control = await hkdf(fromHex(ks.shared_secret), fromHex(ks.transcript_hash), "lifebuoy/1 control customer");
  assert.equal(toHex(control), ks.customer_control_key);
});

for (const case_ of vectors.rejections) {
  test(`rejects: ${case_.name}`, async () => {
    const chans = await play(case_.after, false);
    const events = await chans[case_.by].receiveFrame(fromHex(case_.frame), vectors.now);
    assert.equal(events.length, 1);
    assert.equal(events[0].type, "closed");
    assert.equal(events[0].code, case_.code);
    assert.equal(events[0].clean, false);
  });
}
