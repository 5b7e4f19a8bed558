// The customer's screen messages read strictly, and what ScreenShare sends,
// logs and shows for them (docs/screen.md).
import { test } from "node:test";
import assert from "node:assert/strict";

import { MessageError, parseMessage } from "../../src/lifebuoy/site/static/console/messages.js";
import { ScreenShare } from "../../src/lifebuoy/site/static/console/screen-share.js";

const bytes = (value) => new TextEncoder().encode(JSON.stringify(value));
const parse = (value) => parseMessage(bytes(value));
const MONITOR = { index: 1, x: 0, y: 0, width: 1920, height: 1080, primary: true };

test("the screen messages are read with their fields", () => {
  assert.deepEqual(parse({ t: "answer", id: "r-1", what: "control", allowed: true, reason: "customer" }),
    { t: "answer", id: "r-1", what: "control", allowed: true, reason: "customer" });
  assert.deepEqual(parse({ t: "screen.state", view: true, control: false, by: "customer" }),
    { t: "screen.state", view: true, control: false, by: "customer" });
  assert.deepEqual(parse({ t: "screen.monitors", monitors: [MONITOR], selected: 1 }),
    { t: "screen.monitors", monitors: [MONITOR], selected: 1 });
  assert.deepEqual(parse({ t: "screen.format", codec: "avc1.42E01E", width: 640, height: 360, monitor: 0 }),
    { t: "screen.format", codec: "avc1.42E01E", width: 640, height: 360, monitor: 0 });
  assert.deepEqual(parse({ t: "cursor", x: -3, y: 10, shape: 4, visible: false }),
    { t: "cursor", x: -3, y: 10, shape: 4, visible: false });
  assert.deepEqual(parse({ t: "refused", what: "control", reason: "control is off" }),
    { t: "refused", what: "control", reason: "control is off" });
});

test("screen messages with wrong fields are a violation", () => {
  const bad = [
    { t: "answer", id: "r-1", what: "files", allowed: true },
    { t: "answer", id: "r 1", what: "view", allowed: true },
    { t: "answer", id: "r-1", what: "view", allowed: "yes" },
    { t: "screen.state", view: 1, control: false },
    { t: "screen.monitors", monitors: [], selected: 0 },
    { t: "screen.monitors", monitors: [MONITOR], selected: 2 },
    { t: "screen.monitors", monitors: [{ ...MONITOR, width: 0 }], selected: 0 },
    { t: "screen.monitors", monitors: [{ ...MONITOR, primary: "yes" }], selected: 0 },
    { t: "screen.monitors", monitors: Array(17).fill(MONITOR), selected: 0 },
    { t: "screen.format", codec: "<b>h264</b>", width: 640, height: 360 },
    { t: "screen.format", codec: "vp8", width: 640.5, height: 360 },
    { t: "screen.format", codec: "vp8", width: 70000, height: 360 },
    { t: "cursor", x: 1, y: 1, shape: -1, visible: true },
    { t: "refused", what: "control", reason: "x".repeat(201) },
  ];
  for (const message of bad) assert.throws(() => parse(message), MessageError, JSON.stringify(message));
});

function share() {
  const sent = [];
  const logged = [];
  const screen = new ScreenShare({
    send: async (message) => { sent.push(message); },
    log: (kind, fields) => logged.push({ kind, ...fields }),
    newId: () => "r-1",
  });
  return { screen, sent, logged };
}

test("a request is sent and logged; the answer and the state are logged and shown", async () => {
  const { screen, sent, logged } = share();
  await screen.request("control");
  assert.deepEqual(sent, [{ t: "request", id: "r-1", what: "control" }]);
  assert.equal(screen.status, "Waiting for the customer to allow…");

  screen.onMessage({ t: "answer", id: "r-1", what: "control", allowed: true, reason: "earlier answer" });
  screen.onMessage({ t: "screen.state", view: true, control: true, by: "customer" });
  assert.equal(screen.status, "In control");
  screen.onMessage({ t: "screen.state", view: true, control: false, by: "customer" });
  assert.equal(screen.status, "Viewing · Stopped by the customer");
  assert.deepEqual(logged, [
    { kind: "screen.request", what: "control" },
    { kind: "screen.answer", what: "control", allowed: true, by: "customer", reason: "earlier answer" },
    { kind: "screen.start", what: "view" },
    { kind: "screen.start", what: "control" },
    { kind: "screen.stop", what: "control", by: "customer" },
  ]);
});

test("input goes out only while control is granted", () => {
  const { screen, sent } = share();
  const click = { t: "mouse.button", x: 1, y: 2, button: 1, down: true };
  assert.equal(screen.input(click), false);
  screen.onMessage({ t: "screen.state", view: true, control: false, by: "customer" });
  assert.equal(screen.input(click), false);
  screen.onMessage({ t: "screen.state", view: true, control: true, by: "customer" });
  assert.equal(screen.input(click), true);
  assert.equal(screen.input({ t: "policy", token: "x" }), false);
  screen.close();
  assert.equal(screen.input(click), false);
  assert.deepEqual(sent, [click]);
});

test("a lost picture is asked for again only while viewing", () => {
  const { screen, sent } = share();
  screen.refresh();
  assert.deepEqual(sent, []);
  screen.onMessage({ t: "screen.state", view: true, control: false, by: "customer" });
  screen.refresh();
  assert.deepEqual(sent, [{ t: "screen.refresh" }]);
  screen.close();
  screen.refresh();
  assert.equal(sent.length, 1);
});

test("a denial says who denied; refused input is logged as control", () => {
  const { screen, logged } = share();
  screen.onMessage({ t: "answer", id: "r-9", what: "view", allowed: false, reason: "timeout" });
  assert.equal(screen.status, "The customer did not answer; no viewing");
  screen.onMessage({ t: "answer", id: "r-9", what: "control", allowed: false, reason: "customer" });
  assert.equal(screen.status, "The customer denied control");
  screen.onMessage({ t: "refused", what: "mouse.move", reason: "control is not allowed for this technician" });
  assert.deepEqual(logged.at(-1),
    { kind: "screen.refused", what: "control", by: "policy", reason: "control is not allowed for this technician" });
});

test("pictures wait for a format; without a view they are acknowledged at once", () => {
  const { screen, sent } = share();
  const video = Uint8Array.from([0, 1, 0, 0, 0, 5, 1, 0, 3, 0, 1, 0, 0, 0, 0, 0, 4, 0, 4, 7]);
  assert.throws(() => screen.onBinary(video), /before screen.format/);
  screen.onMessage({ t: "screen.format", codec: "vp8", width: 8, height: 8, monitor: 0 });
  screen.onBinary(video);
  assert.deepEqual(sent, [{ t: "screen.ack", seq: 5 }]);
});
