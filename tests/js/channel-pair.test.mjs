// A full JS-to-JS handshake and exchange with fresh keys, plus resume and tampering.
import { test } from "node:test";
import assert from "node:assert/strict";

import { Channel, ErrorCode, Role, issueKeyCertificate } from "../../src/lifebuoy/site/static/console/channel.js";

const subtle = globalThis.crypto.subtle;
const NOW = 1_750_000_000;
const SESSION = "js-session";

async function makePair(limits = {}) {
  const site = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const siteKeys = { k1: new Uint8Array(await subtle.exportKey("raw", site.publicKey)) };
  const make = async (role, participantId) => {
    const keyPair = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
    const certificate = await issueKeyCertificate(site.privateKey, "k1", {
      sessionId: SESSION, role, participantId, issuedAt: NOW - 60, expiresAt: NOW + 3600,
      publicKey: new Uint8Array(await subtle.exportKey("raw", keyPair.publicKey)),
    });
    return Channel.create({ role, sessionId: SESSION, certificate, keyPair, siteKeys, now: NOW, limits });
  };
  const pair = { customer: await make(Role.CUSTOMER, "cust"), technician: await make(Role.TECHNICIAN, "tech") };
  pair.events = { customer: [], technician: [] };
  pair.pump = async (filter = (_, frames) => frames) => {
    for (let moved = true; moved;) {
      moved = false;
      for (const [from, to] of [["customer", "technician"], ["technician", "customer"]]) {
        const frames = filter(from, pair[from].framesToSend());
        moved ||= frames.length > 0;
        for (const f of frames) pair.events[to].push(...(await pair[to].receiveFrame(f, NOW)));
      }
    }
  };
  pair.messages = (role) => pair.events[role].filter((e) => e.type === "message").map((e) => new TextDecoder().decode(e.data));
  await pair.customer.initiate();
  await pair.technician.initiate();
  await pair.pump();
  return pair;
}

test("handshake, messages both ways, authenticated close", async () => {
  const pair = await makePair();
  const [c, t] = [pair.events.customer[0], pair.events.technician[0]];
  assert.equal(c.type, "handshake-complete");
  assert.equal(c.comparisonCode, t.comparisonCode);
  assert.match(c.comparisonCode, /^\d{3} \d{3}$/);
  assert.equal(c.peerParticipant, "tech");
  for (let i = 0; i < 30; i++) {
    await pair.customer.sendMessage(new TextEncoder().encode(`c${i}`));
    await pair.technician.sendMessage(new TextEncoder().encode(`t${i}`));
  }
  await pair.pump();
  assert.deepEqual(pair.messages("technician"), Array.from({ length: 30 }, (_, i) => `c${i}`));
  assert.deepEqual(pair.messages("customer"), Array.from({ length: 30 }, (_, i) => `t${i}`));
  await pair.technician.close("bye");
  await pair.pump();
  const closed = pair.events.customer.at(-1);
  assert.deepEqual([closed.type, closed.code, closed.clean, closed.byPeer, closed.reason], ["closed", 0, true, true, "bye"]);
  assert.equal(pair.events.technician.at(-1).clean, true);
});

test("resume after a lost transport delivers everything once, in order", async () => {
  const pair = await makePair({ framesPerKey: 4 });
  for (let i = 0; i < 10; i++) await pair.customer.sendMessage(new TextEncoder().encode(`m${i}`));
  const frames = pair.customer.framesToSend();
  for (const f of frames.slice(0, 4)) await pair.technician.receiveFrame(f, NOW).then((e) => pair.events.technician.push(...e));
  await pair.customer.transportLost();
  await pair.technician.transportLost();
  await pair.customer.resume();
  await pair.technician.resume();
  await pair.pump();
  assert.deepEqual(pair.messages("technician"), Array.from({ length: 10 }, (_, i) => `m${i}`));
});

test("tampered, replayed and reflected frames end the channel with their codes", async () => {
  for (const [mutate, code, to] of [
    [(f) => { f[f.length - 1] ^= 1; return [f]; }, ErrorCode.AUTHENTICATION_FAILED, "technician"],
    [(f) => [f, f], ErrorCode.REPLAYED, "technician"],
    [(f) => [f], ErrorCode.REFLECTED, "customer"],
    [(f) => { f[0] = 9; return [f]; }, ErrorCode.VERSION_MISMATCH, "technician"],
  ]) {
    const pair = await makePair();
    await pair.customer.sendMessage(new Uint8Array([1, 2, 3]));
    const [frame] = pair.customer.framesToSend();
    let events = [];
    for (const f of mutate(frame.slice())) events = await pair[to].receiveFrame(f, NOW);
    assert.equal(events.at(-1).type, "closed");
    assert.equal(events.at(-1).code, code);
    assert.equal(events.at(-1).clean, false);
  }
});

test("backpressure: a full retransmit buffer refuses, acknowledgements reopen it", async () => {
  const pair = await makePair({ maxPayload: 1024, retransmitBytes: 8192, ackBytes: 2048, ackFrames: 4 });
  let refused = false;
  const held = [];
  try {
    for (let i = 0; i < 100; i++) {
      await pair.customer.sendMessage(new Uint8Array(1000));
      held.push(...pair.customer.framesToSend());
    }
  } catch (error) {
    refused = error.bufferFull === true;
  }
  assert.ok(refused);
  for (const f of held) pair.events.technician.push(...(await pair.technician.receiveFrame(f, NOW)));
  await pair.pump();
  assert.ok(pair.events.customer.some((e) => e.type === "send-capacity"));
});
