// Remote view and control on the wire: binary pictures read strictly, input
// events turned into the contract's messages (docs/screen.md).
import { test } from "node:test";
import assert from "node:assert/strict";

import { MessageError } from "../../src/lifebuoy/site/static/console/messages.js";
import {
  KeyMapper, MAX_BINARY_BYTES, WheelNotches, contractButton, isReleaseChord, parseBinary,
  picturePoint, requestMessage, sequenceMessage, textMessage,
} from "../../src/lifebuoy/site/static/console/screen-protocol.js";

const PICTURE = { width: 640, height: 360 };

/** Bytes from [size, value] pairs, big-endian. */
function pack(...fields) {
  const size = fields.reduce((sum, [bytes, value]) => sum + (bytes === "raw" ? value.length : bytes), 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [bytes, value] of fields) {
    if (bytes === "raw") out.set(value, at);
    else if (bytes === 1) view.setUint8(at, value);
    else if (bytes === 2) view.setUint16(at, value);
    else view.setUint32(at, value);
    at += bytes === "raw" ? value.length : bytes;
  }
  return out;
}

const rect = (x, y, w, h) => [[2, x], [2, y], [2, w], [2, h]];
const video = ({ seq = 7, flags = 1, encodeMs = 12, rects = [rect(0, 0, 640, 360)], data = [9, 9, 9] } = {}) =>
  pack([1, 0], [1, 1], [4, seq], [1, flags], [2, encodeMs], [2, rects.length], ...rects.flat(), ["raw", Uint8Array.from(data)]);
const sharp = (images) => pack([1, 0], [1, 2], [4, 8], [2, images.length],
  ...images.flatMap(({ r, bytes, size = bytes.length }) => [...r, [4, size], ["raw", Uint8Array.from(bytes)]]));
const cursorShape = (w, h, hx = 0, hy = 0, extra = 0) =>
  pack([1, 0], [1, 3], [4, 5], [2, w], [2, h], [2, hx], [2, hy], ["raw", new Uint8Array(w * h * 4 + extra)]);

test("a video message is read with its header, rectangles and codec data", () => {
  const message = parseBinary(video({ rects: [rect(0, 0, 64, 64), rect(576, 296, 64, 64)] }), PICTURE);
  assert.equal(message.kind, "video");
  assert.equal(message.seq, 7);
  assert.equal(message.key, true);
  assert.equal(message.encodeMs, 12);
  assert.deepEqual(message.rects, [{ x: 0, y: 0, w: 64, h: 64 }, { x: 576, y: 296, w: 64, h: 64 }]);
  assert.deepEqual([...message.data], [9, 9, 9]);
  assert.equal(parseBinary(video({ flags: 0, rects: [] }), PICTURE).key, false);
});

test("a sharp message is read image by image", () => {
  const message = parseBinary(sharp([
    { r: rect(10, 20, 30, 40), bytes: [1, 2, 3] }, { r: rect(0, 0, 640, 360), bytes: [4] },
  ]), PICTURE);
  assert.equal(message.kind, "sharp");
  assert.equal(message.seq, 8);
  assert.deepEqual(message.rects, [{ x: 10, y: 20, w: 30, h: 40 }, { x: 0, y: 0, w: 640, h: 360 }]);
  assert.deepEqual([...message.images[0].data], [1, 2, 3]);
  assert.deepEqual([...message.images[1].data], [4]);
});

test("a cursor shape is read without a picture, and its pixels must be all there", () => {
  const shape = parseBinary(cursorShape(2, 3, 1, 2), null);
  assert.deepEqual({ ...shape, rgba: shape.rgba.length },
    { kind: "cursor-shape", shape: 5, width: 2, height: 3, hotX: 1, hotY: 2, rgba: 24 });
  assert.throws(() => parseBinary(cursorShape(2, 3, 0, 0, 1), null), /trailing/);
  assert.throws(() => parseBinary(cursorShape(2, 3).subarray(0, 30), null), /truncated/);
  assert.throws(() => parseBinary(cursorShape(257, 1), null), MessageError);
  assert.throws(() => parseBinary(cursorShape(0, 1), null), MessageError);
  assert.throws(() => parseBinary(cursorShape(2, 2, 2, 0), null), /hot spot/);
});

test("rectangles outside the picture or empty are a violation", () => {
  for (const bad of [rect(0, 0, 641, 360), rect(600, 0, 41, 1), rect(0, 300, 1, 61), rect(0, 0, 0, 5),
    rect(0, 0, 5, 0), rect(65535, 65535, 65535, 65535)]) {
    assert.throws(() => parseBinary(video({ rects: [bad] }), PICTURE), /outside/, JSON.stringify(bad));
    assert.throws(() => parseBinary(sharp([{ r: bad, bytes: [1] }]), PICTURE), /outside/);
  }
  assert.doesNotThrow(() => parseBinary(video({ rects: [rect(639, 359, 1, 1)] }), PICTURE));
});

test("lengths that run past the message are a violation, never a short read", () => {
  const whole = video({ rects: [rect(0, 0, 8, 8), rect(8, 8, 8, 8)] });
  for (let cut = 1; cut < 11 + 16; cut++) {
    assert.throws(() => parseBinary(whole.subarray(0, cut), PICTURE), MessageError, `cut at ${cut}`);
  }
  assert.throws(() => parseBinary(video({ data: [] }), PICTURE), /no codec data/);
  assert.throws(() => parseBinary(sharp([{ r: rect(0, 0, 1, 1), bytes: [1, 2], size: 3 }]), PICTURE), /truncated/);
  assert.throws(() => parseBinary(sharp([{ r: rect(0, 0, 1, 1), bytes: [1, 2], size: 1 }]), PICTURE), /trailing/);
  assert.throws(() => parseBinary(sharp([{ r: rect(0, 0, 1, 1), bytes: [], size: 0 }]), PICTURE), /empty/);
  assert.throws(() => parseBinary(sharp([]), PICTURE), /no images/);
  assert.throws(() => parseBinary(sharp([{ r: rect(0, 0, 1, 1), bytes: [], size: 0xffffffff }]), PICTURE), /truncated/);
});

test("unknown kinds, flags, pictures before a format and oversized messages are refused", () => {
  assert.throws(() => parseBinary(pack([1, 0], [1, 9]), PICTURE), /kind 9/);
  assert.throws(() => parseBinary(pack([1, 1], [1, 1]), PICTURE), /0x00/);
  assert.throws(() => parseBinary(video({ flags: 3 }), PICTURE), /flags/);
  assert.throws(() => parseBinary(video(), null), /before screen.format/);
  assert.throws(() => parseBinary(new Uint8Array(MAX_BINARY_BYTES + 1), PICTURE), /bytes/);
  assert.throws(() => parseBinary(new Uint8Array([0]), PICTURE), /truncated/);
});

// -- input ---------------------------------------------------------------------------

const keyEvent = (key, code, mods = {}) => ({ key, code, ctrlKey: false, altKey: false, metaKey: false, ...mods });

test("printable characters are typed as text, é and @ included", () => {
  const keys = new KeyMapper();
  assert.deepEqual(keys.keyDown(keyEvent("a", "KeyA")), { t: "text", text: "a" });
  assert.deepEqual(keys.keyDown(keyEvent("é", "Digit2")), { t: "text", text: "é" });
  assert.deepEqual(keys.keyDown(keyEvent("A", "KeyA", { shiftKey: true })), { t: "text", text: "A" });
  assert.deepEqual(keys.keyDown(keyEvent(" ", "Space")), { t: "text", text: " " });
  assert.deepEqual(keys.keyDown(keyEvent("😀", "")), { t: "text", text: "😀" });
  // AltGr+Q on a German layout: reported as Ctrl+Alt by some systems.
  assert.deepEqual(keys.keyDown(keyEvent("@", "KeyQ", { ctrlKey: true, altKey: true, altGraph: true })),
    { t: "text", text: "@" });
  // Typed characters have no keyup to send.
  assert.equal(keys.keyUp(keyEvent("a", "KeyA")), null);
});

test("modifiers, named keys and chorded letters go as keys, down and up", () => {
  const keys = new KeyMapper();
  assert.deepEqual(keys.keyDown(keyEvent("Control", "ControlLeft", { ctrlKey: true })),
    { t: "key", key: "Control", code: "ControlLeft", down: true });
  assert.deepEqual(keys.keyDown(keyEvent("c", "KeyC", { ctrlKey: true })), { t: "key", key: "c", code: "KeyC", down: true });
  // Ctrl let go first: the C still goes up.
  assert.deepEqual(keys.keyUp(keyEvent("Control", "ControlLeft")), { t: "key", key: "Control", code: "ControlLeft", down: false });
  assert.deepEqual(keys.keyUp(keyEvent("c", "KeyC")), { t: "key", key: "c", code: "KeyC", down: false });
  for (const [key, code] of [["Enter", "Enter"], ["Backspace", "Backspace"], ["ArrowLeft", "ArrowLeft"],
    ["F5", "F5"], ["Escape", "Escape"], ["Tab", "Tab"], ["Shift", "ShiftLeft"], ["Meta", "MetaLeft"]]) {
    assert.deepEqual(keys.keyDown(keyEvent(key, code)), { t: "key", key, code, down: true });
  }
  assert.deepEqual(keys.keyDown(keyEvent("x", "KeyX", { altKey: true })).t, "key");
  assert.deepEqual(keys.keyDown(keyEvent("v", "KeyV", { metaKey: true })).t, "key");
});

test("keys during composition and dead keys are left to text input", () => {
  const keys = new KeyMapper();
  assert.equal(keys.keyDown(keyEvent("Dead", "BracketLeft")), null);
  assert.equal(keys.keyDown(keyEvent("Process", "KeyA")), null);
  assert.equal(keys.keyDown(keyEvent("a", "KeyA", { isComposing: true })), null);
  assert.equal(keys.keyUp(keyEvent("Dead", "BracketLeft")), null);
});

test("a reset forgets held keys; the release chord is Ctrl+Alt+Shift", () => {
  const keys = new KeyMapper();
  keys.keyDown(keyEvent("F1", "F1"));
  keys.reset();
  assert.equal(keys.keyUp(keyEvent("F1", "F1")), null);
  assert.equal(isReleaseChord({ ctrlKey: true, altKey: true, shiftKey: true }), true);
  assert.equal(isReleaseChord({ ctrlKey: true, altKey: true, shiftKey: false }), false);
});

test("DOM buttons map to the contract's 1, 2, 3", () => {
  assert.deepEqual([0, 1, 2, 3, 4].map(contractButton), [1, 2, 3, null, null]);
});

test("the wheel adds up pixels to notches and gives at least one per wheel click", () => {
  const wheel = new WheelNotches();
  const px = (deltaY, deltaX = 0) => wheel.add({ deltaX, deltaY, deltaMode: 0 });
  assert.deepEqual(px(100), { dx: 0, dy: 1 });
  assert.deepEqual(px(250), { dx: 0, dy: 2 }); // 0.5 left over
  assert.equal(px(20), null); // 0.7
  assert.deepEqual(px(30), { dx: 0, dy: 1 }); // 1.0
  assert.equal(px(-10), null); // turning back drops the rest
  assert.equal(px(-40), null); // -0.5 but this event alone is 0.4
  assert.deepEqual(px(-50), { dx: 0, dy: -1 });
  assert.deepEqual(px(0, 120), { dx: 1, dy: 0 });
  assert.deepEqual(new WheelNotches().add({ deltaX: 0, deltaY: 53, deltaMode: 0 }), { dx: 0, dy: 1 });
  assert.deepEqual(new WheelNotches().add({ deltaX: 0, deltaY: 3, deltaMode: 1 }), { dx: 0, dy: 1 });
  assert.deepEqual(new WheelNotches().add({ deltaX: 0, deltaY: -1, deltaMode: 1 }), { dx: 0, dy: -1 });
  assert.deepEqual(new WheelNotches().add({ deltaX: 0, deltaY: 9, deltaMode: 1 }), { dx: 0, dy: 3 });
  assert.deepEqual(new WheelNotches().add({ deltaX: 0, deltaY: 1, deltaMode: 2 }), { dx: 0, dy: 1 });
  assert.equal(new WheelNotches().add({ deltaX: 0, deltaY: 0, deltaMode: 0 }), null);
});

test("pointer positions map to picture pixels through the CSS scale, clamped", () => {
  const picture = { width: 1920, height: 1080 };
  const fitted = { left: 100, top: 50, width: 960, height: 540 }; // half size
  assert.deepEqual(picturePoint(100, 50, fitted, picture), { x: 0, y: 0 });
  assert.deepEqual(picturePoint(580, 320, fitted, picture), { x: 960, y: 540 });
  assert.deepEqual(picturePoint(1059.9, 589.9, fitted, picture), { x: 1919, y: 1079 });
  assert.deepEqual(picturePoint(5000, -20, fitted, picture), { x: 1919, y: 0 });
  // 1:1 scrolled: the box starts left of the viewport.
  assert.deepEqual(picturePoint(10, 10, { left: -300, top: -200, width: 1920, height: 1080 }, picture), { x: 310, y: 210 });
  // Enlarged 1.5x.
  assert.deepEqual(picturePoint(150, 75, { left: 0, top: 0, width: 960, height: 540 }, { width: 640, height: 360 }),
    { x: 100, y: 50 });
});

test("our messages are built to the contract and refuse what it does not allow", () => {
  assert.deepEqual(requestMessage("control", "r-1"), { t: "request", id: "r-1", what: "control" });
  assert.throws(() => requestMessage("files", "r-2"), TypeError);
  assert.deepEqual(sequenceMessage("ctrl-alt-del"), { t: "sequence", name: "ctrl-alt-del" });
  assert.throws(() => sequenceMessage("reboot"), TypeError);
  assert.equal(textMessage("x".repeat(1500)).text.length, 1000);
  assert.throws(() => textMessage(""), TypeError);
});
