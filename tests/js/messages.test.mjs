// Channel messages: the customer's read strictly, ours built to the contract.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  CHAT_CHARS, MAX_MESSAGE_BYTES, MessageError, chatMessage, deliveredMessage, encodeMessage,
  endMessage, helloMessage, holdMessage, parseMessage, shown, transferMessage,
} from "../../src/lifebuoy/site/static/console/messages.js";

const bytes = (value) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

test("the customer's messages are read with their fields", () => {
  assert.deepEqual(parseMessage(bytes({ t: "hello", hostname: "pc-7", os: "Debian 13", user: "ann" })),
    { t: "hello", hostname: "pc-7", os: "Debian 13", user: "ann" });
  assert.deepEqual(parseMessage(bytes({ t: "chat", id: "c-1", text: "hi", at: "2026-01-01T00:00:00Z" })),
    { t: "chat", id: "c-1", text: "hi", at: "2026-01-01T00:00:00Z" });
  assert.deepEqual(parseMessage(bytes({ t: "delivered", id: "abc" })), { t: "delivered", id: "abc" });
  assert.deepEqual(parseMessage(bytes({ t: "end", reason: "customer ended" })), { t: "end", reason: "customer ended" });
  assert.deepEqual(parseMessage(bytes({ t: "end" })), { t: "end", reason: "" });
});

test("hostile text stays text: it is returned as it was sent", () => {
  const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
  assert.equal(parseMessage(bytes({ t: "chat", id: "x", text: hostile })).text, hostile);
});

test("unknown types, and types only the technician sends, are unknown", () => {
  assert.deepEqual(parseMessage(bytes({ t: "screen", x: 1 })), { t: "unknown", type: "screen" });
  assert.equal(parseMessage(bytes({ t: "hold", on: true })).t, "unknown");
  assert.equal(parseMessage(bytes({ t: "x".repeat(100) })).type.length, 32);
});

test("anything but a JSON object is a protocol violation", () => {
  for (const raw of ["[1,2]", "null", "42", '"chat"', "{", "NaN", "{\"t\":\"chat\"", ""]) {
    assert.throws(() => parseMessage(bytes(raw)), MessageError, raw);
  }
  assert.throws(() => parseMessage(new Uint8Array([0x7b, 0xff, 0x7d])), MessageError);
  assert.throws(() => parseMessage(bytes({ text: "no type" })), MessageError);
  assert.throws(() => parseMessage(bytes({ t: 5 })), MessageError);
});

test("known types with wrong fields are protocol violations", () => {
  for (const body of [
    { t: "chat", id: "ok", text: 5 },
    { t: "chat", id: "ok" },
    { t: "chat", id: "has space", text: "x" },
    { t: "chat", id: "x".repeat(65), text: "x" },
    { t: "chat", id: "ok", text: "x".repeat(CHAT_CHARS + 1) },
    { t: "delivered", id: 3 },
    { t: "hello", hostname: ["pc"] },
    { t: "hello", hostname: "h".repeat(256) },
    { t: "end", reason: { why: 1 } },
  ]) {
    assert.throws(() => parseMessage(bytes(body)), MessageError, JSON.stringify(body).slice(0, 60));
  }
});

test("an oversized message is refused before it is parsed", () => {
  const big = new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(0x20);
  assert.throws(() => parseMessage(big), /more than allowed/);
});

test("inherited properties are not fields", () => {
  assert.deepEqual(parseMessage(bytes('{"t":"end","__proto__":{"reason":5}}')), { t: "end", reason: "" });
});

test("our messages have the contract's shape", () => {
  const line = chatMessage("hello", { id: "id-1", at: new Date(Date.UTC(2026, 0, 1)) });
  assert.deepEqual(line, { t: "chat", id: "id-1", text: "hello", at: "2026-01-01T00:00:00.000Z" });
  assert.match(chatMessage("x").id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(helloMessage("Tess"), { t: "hello", name: "Tess" });
  assert.deepEqual(deliveredMessage("id-1"), { t: "delivered", id: "id-1" });
  assert.deepEqual(holdMessage(true), { t: "hold", on: true });
  assert.deepEqual(transferMessage("ann@example.com", "printer"), { t: "transfer", to: "ann@example.com", note: "printer" });
  assert.deepEqual(endMessage("ended"), { t: "end", reason: "ended" });
  assert.deepEqual(JSON.parse(new TextDecoder().decode(encodeMessage(line))), line);
});

test("our chat lines are never empty nor longer than the limit", () => {
  assert.throws(() => chatMessage("   "), MessageError);
  assert.throws(() => chatMessage("x".repeat(CHAT_CHARS + 1)), MessageError);
});

test("a message we build passes our own parser where both may send it", () => {
  for (const m of [chatMessage("round trip"), deliveredMessage("abc"), endMessage("bye")]) {
    assert.equal(parseMessage(encodeMessage(m)).t, m.t);
  }
});

test("shown text loses bidi overrides and control characters, keeps the rest", () => {
  assert.equal(shown("evil\u202Etxt.exe"), "evil\ufffdtxt.exe");
  assert.equal(shown("a\u0007b\r\nc\td"), "a\ufffdb\ufffd\nc\td");
  assert.equal(shown("two\nlines\tx", { singleLine: true }), "two lines x");
  assert.equal(shown("<script>"), "<script>");
  assert.equal(shown(null), "");
});
