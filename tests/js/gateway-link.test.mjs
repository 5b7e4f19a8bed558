// GatewayLink through an in-memory gateway: pairing, drops on either side,
// stale frames after a resume, and ends that cannot be resumed.
import { test } from "node:test";
import assert from "node:assert/strict";

import { Channel, Role, issueKeyCertificate } from "../../src/lifebuoy/site/static/console/channel.js";
import { GatewayLink, endpoint } from "../../src/lifebuoy/site/static/console/gateway-link.js";

const subtle = globalThis.crypto.subtle;
const NOW = Math.floor(Date.now() / 1000);
const SESSION = "s_link";
const later = (fn) => setImmediate(fn);

/** The gateway of docs/gateway.md, reduced to pairing and relaying. */
class FakeGateway {
  constructor() { this.ends = { customer: null, technician: null }; this.tickets = []; this.replayStale = false; this.lastToCustomer = null; }

  socketClass() {
    const gateway = this;
    return class FakeSocket {
      constructor(url) {
        this.role = url.endsWith("/v1/customer") ? "customer" : "technician";
        this.readyState = 0;
        later(() => { this.readyState = 1; this.onopen?.(); });
      }
      send(data) {
        if (this.readyState !== 1) return;
        if (typeof data === "string") gateway.admit(this, data);
        else gateway.relay(this, new Uint8Array(data));
      }
      close(code = 1000) { gateway.closed(this, code, true); }
      deliver(data) { if (this.readyState === 1) later(() => this.onmessage?.({ data })); }
      shut(code) {
        if (this.readyState === 3) return;
        this.readyState = 3;
        later(() => this.onclose?.({ code, reason: "" }));
      }
    };
  }

  other(role) { return role === "customer" ? "technician" : "customer"; }
  notice(ws, type, extra = {}) { ws.deliver(JSON.stringify({ type, ...extra })); }

  admit(ws, ticket) {
    this.tickets.push([ws.role, ticket]);
    const returning = this.ends[ws.role] === "gone";
    this.ends[ws.role] = ws;
    const peer = this.ends[this.other(ws.role)];
    if (peer && peer !== "gone") {
      this.notice(ws, "paired");
      if (returning && ws.role === "customer" && this.replayStale && this.lastToCustomer) {
        ws.deliver(this.lastToCustomer.buffer.slice(0)); // still in the gateway's buffers
      }
      this.notice(peer, returning ? "peer-returned" : "paired");
    } else {
      this.notice(ws, "waiting");
    }
  }

  relay(ws, frame) {
    const peer = this.ends[this.other(ws.role)];
    if (!peer || peer === "gone") return; // dropped: the channel resends
    if (peer.role === "customer") this.lastToCustomer = frame;
    peer.deliver(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength));
  }

  /** A network failure of one end. */
  drop(role) {
    const ws = this.ends[role];
    this.ends[role] = "gone";
    ws.shut(1006);
    const peer = this.ends[this.other(role)];
    if (peer && peer !== "gone") this.notice(peer, "peer-left", { resumable: true });
  }

  closed(ws, code, byEnd) {
    if (this.ends[ws.role] !== ws) return ws.shut(code);
    this.ends[ws.role] = null;
    ws.shut(code);
    const peer = this.ends[this.other(ws.role)];
    if (byEnd && code === 1000 && peer && peer !== "gone") {
      this.notice(peer, "peer-left", { resumable: false });
      this.ends[peer.role] = null;
      peer.shut(1000);
    }
  }
}

async function makeLinks(gateway, options = {}) {
  const site = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const siteKeys = { k1: new Uint8Array(await subtle.exportKey("raw", site.publicKey)) };
  const ends = {};
  for (const [name, role] of [["customer", Role.CUSTOMER], ["technician", Role.TECHNICIAN]]) {
    const keyPair = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
    const certificate = await issueKeyCertificate(site.privateKey, "k1", {
      sessionId: SESSION, role, participantId: name, issuedAt: NOW - 60, expiresAt: NOW + 3600,
      publicKey: new Uint8Array(await subtle.exportKey("raw", keyPair.publicKey)),
    });
    const channel = await Channel.create({ role, sessionId: SESSION, certificate, keyPair, siteKeys, now: NOW });
    const end = { events: [], messages: [], tickets: 0 };
    end.link = new GatewayLink({
      channel, gateways: ["wss://gw.example:8444/"], ticket: `${name}-ticket-0`,
      freshTicket: async () => `${name}-ticket-${++end.tickets}`,
      onEvent: (event) => {
        end.events.push(event);
        if (event.type === "message") end.messages.push(new TextDecoder().decode(event.data));
      },
      WebSocketImpl: gateway.socketClass(), ackDelay: 5,
      reconnect: { firstDelay: 5, maxDelay: 20, deadline: 2000 }, ...options,
    });
    ends[name] = end;
  }
  return ends;
}

const until = async (check, what, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
const statuses = (end) => end.events.filter((e) => e.type === "status").map((e) => e.status);
const send = (end, text) => end.link.send(new TextEncoder().encode(text));
const numbered = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

async function openPair(gateway) {
  const ends = await makeLinks(gateway);
  ends.technician.link.start();
  await until(() => statuses(ends.technician).includes("waiting"), "waiting");
  ends.customer.link.start();
  await until(() => ends.technician.link.comparisonCode && ends.customer.link.comparisonCode, "handshake");
  return ends;
}

test("the endpoint is the gateway URL with the role's path", () => {
  assert.equal(endpoint("wss://gw.example:8444", Role.TECHNICIAN), "wss://gw.example:8444/v1/technician");
  assert.equal(endpoint("wss://gw.example/relay/", Role.CUSTOMER), "wss://gw.example/relay/v1/customer");
});

test("the ticket goes first, the handshake runs once paired, messages flow both ways", async () => {
  const gateway = new FakeGateway();
  const ends = await openPair(gateway);
  assert.deepEqual(gateway.tickets, [["technician", "technician-ticket-0"], ["customer", "customer-ticket-0"]]);
  assert.equal(ends.technician.link.comparisonCode, ends.customer.link.comparisonCode);
  assert.deepEqual(statuses(ends.technician).slice(0, 4), ["joining", "waiting", "handshake", "open"]);
  for (const text of numbered("t", 20)) await send(ends.technician, text);
  await send(ends.customer, "hi");
  await until(() => ends.customer.messages.length === 20 && ends.technician.messages.length === 1, "messages");
  assert.deepEqual(ends.customer.messages, numbered("t", 20));
});

test("the technician's own drop: a fresh ticket, a resume, every message once", async () => {
  const gateway = new FakeGateway();
  const ends = await openPair(gateway);
  await send(ends.technician, "before");
  gateway.drop("technician");
  for (const text of numbered("gap", 5)) await send(ends.technician, text);
  for (const text of numbered("c", 3)) await send(ends.customer, text);
  await until(() => ends.customer.messages.length === 6 && ends.technician.messages.length === 3, "resumed delivery");
  assert.deepEqual(ends.customer.messages, ["before", ...numbered("gap", 5)]);
  assert.deepEqual(ends.technician.messages, numbered("c", 3));
  assert.ok(gateway.tickets.some(([role, ticket]) => role === "technician" && ticket === "technician-ticket-1"));
  assert.ok(statuses(ends.technician).includes("reconnecting"));
  assert.equal(statuses(ends.technician).at(-1), "open");
});

test("the customer's drop: peer-left, peer-returned, and stale frames before its RESUME are discarded", async () => {
  const gateway = new FakeGateway();
  gateway.replayStale = true;
  const ends = await openPair(gateway);
  await send(ends.technician, "one");
  await until(() => ends.customer.messages.length === 1, "first message");
  gateway.drop("customer");
  await until(() => statuses(ends.technician).includes("peer-away"), "peer-away");
  await send(ends.technician, "two");
  await until(() => ends.customer.messages.length === 2, "after the resume");
  await send(ends.customer, "back");
  await until(() => ends.technician.messages.length === 1, "customer's line");
  assert.deepEqual(ends.customer.messages, ["one", "two"]);
  assert.equal(ends.customer.link.ended, false);
  assert.equal(ends.technician.link.ended, false);
});

test("an authenticated close ends both links cleanly", async () => {
  const gateway = new FakeGateway();
  const ends = await openPair(gateway);
  const closed = await ends.technician.link.close("ended");
  assert.equal(closed.clean, true);
  await until(() => ends.customer.events.some((e) => e.type === "closed"), "customer closed");
  const seen = ends.customer.events.find((e) => e.type === "closed");
  assert.deepEqual([seen.clean, seen.byPeer, seen.reason], [true, true, "ended"]);
});

test("a close code that cannot be resumed ends the link, not clean", async () => {
  const gateway = new FakeGateway();
  const ends = await openPair(gateway);
  gateway.ends.technician.shut(4007);
  await until(() => ends.technician.link.ended, "ended");
  const closed = ends.technician.events.find((e) => e.type === "closed");
  assert.equal(closed.clean, false);
  assert.match(closed.reason, /did not return/);
});

test("a site that refuses new tickets ends the link instead of retrying forever", async () => {
  const gateway = new FakeGateway();
  const ends = await openPair(gateway);
  ends.technician.link.freshTicket = async () => { throw Object.assign(new Error("Pick the session up first."), { retryable: false }); };
  gateway.drop("technician");
  await until(() => ends.technician.link.ended, "ended");
  assert.match(ends.technician.events.find((e) => e.type === "closed").reason, /no new ticket/);
});
