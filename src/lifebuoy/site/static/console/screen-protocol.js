// Remote view and control on the wire (docs/screen.md), without the DOM:
// the customer's binary picture messages read strictly, the technician's
// messages built, and keyboard, wheel and pointer events turned into them.
//
// A binary message that breaks the layout (short, trailing bytes, a
// rectangle outside the picture, an image larger than what is left) throws
// MessageError, which ends the session like a malformed JSON message does.

import { MessageError } from "./messages.js";

export const Kind = Object.freeze({ VIDEO: 1, SHARP: 2, CURSOR_SHAPE: 3 });
export const MAX_BINARY_BYTES = 1 << 20;
export const MAX_CURSOR_SIDE = 256;
export const MAX_TEXT_CHARS = 1000;
export const SEQUENCES = Object.freeze([
  "ctrl-alt-del", "alt-tab", "alt-f4", "super", "ctrl-esc", "print-screen",
]);

const KEY_FRAME = 0x01;
const RECT_BYTES = 8;

// -- the customer's binary messages ---------------------------------------------

/**
 * One binary message (byte 0 is 0x00). `picture` is the size of the picture
 * announced by the last screen.format ({width, height}), or null before one:
 * pictures then are a violation, cursor shapes are not.
 */
export function parseBinary(data, picture) {
  if (data.length > MAX_BINARY_BYTES) throw new MessageError(`a binary message of ${data.length} bytes`);
  const reader = new Reader(data);
  if (reader.u8() !== 0) throw new MessageError("a binary message not starting with 0x00");

  const kind = reader.u8();
  if (kind === Kind.CURSOR_SHAPE) return readCursorShape(reader);
  if (kind !== Kind.VIDEO && kind !== Kind.SHARP) throw new MessageError(`a binary message of kind ${kind}`);
  if (picture === null) throw new MessageError("a picture before screen.format");
  return kind === Kind.VIDEO ? readVideo(reader, picture) : readSharp(reader, picture);
}

function readVideo(reader, picture) {
  const seq = reader.u32();
  const flags = reader.u8();
  if (flags & ~KEY_FRAME) throw new MessageError(`video: unknown flags ${flags}`);
  const encodeMs = reader.u16();
  const count = reader.u16();
  const rects = [];
  for (let i = 0; i < count; i++) rects.push(readRect(reader, picture));
  const data = reader.rest();
  if (data.length === 0) throw new MessageError("video: no codec data");
  return { kind: "video", seq, key: Boolean(flags & KEY_FRAME), encodeMs, rects, data };
}

function readSharp(reader, picture) {
  const seq = reader.u32();
  const count = reader.u16();
  if (count === 0) throw new MessageError("sharp: no images");
  const images = [];
  for (let i = 0; i < count; i++) {
    const rect = readRect(reader, picture);
    const size = reader.u32();
    if (size === 0) throw new MessageError("sharp: an empty image");
    images.push({ rect, data: reader.take(size) });
  }
  reader.end();
  return { kind: "sharp", seq, rects: images.map((image) => image.rect), images };
}

function readCursorShape(reader) {
  const shape = reader.u32();
  const [width, height, hotX, hotY] = [reader.u16(), reader.u16(), reader.u16(), reader.u16()];
  const sides = [width, height];
  if (sides.some((side) => side < 1 || side > MAX_CURSOR_SIDE)) {
    throw new MessageError(`cursor shape: ${width}x${height} is not 1..${MAX_CURSOR_SIDE} a side`);
  }
  if (hotX >= width || hotY >= height) throw new MessageError("cursor shape: hot spot outside the shape");
  const rgba = reader.take(width * height * 4);
  reader.end();
  return { kind: "cursor-shape", shape, width, height, hotX, hotY, rgba };
}

function readRect(reader, picture) {
  const rect = { x: reader.u16(), y: reader.u16(), w: reader.u16(), h: reader.u16() };
  if (rect.w === 0 || rect.h === 0 || rect.x + rect.w > picture.width || rect.y + rect.h > picture.height) {
    throw new MessageError(
      `a rectangle ${rect.w}x${rect.h}+${rect.x}+${rect.y} outside the ${picture.width}x${picture.height} picture`);
  }
  return rect;
}

/** Big-endian reads that throw MessageError instead of running past the end. */
class Reader {
  constructor(data) {
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.at = 0;
  }

  need(count) {
    if (this.at + count > this.data.length) throw new MessageError("a truncated binary message");
    const at = this.at;
    this.at += count;
    return at;
  }

  u8() { return this.view.getUint8(this.need(1)); }
  u16() { return this.view.getUint16(this.need(2)); }
  u32() { return this.view.getUint32(this.need(4)); }
  take(count) { const at = this.need(count); return this.data.subarray(at, at + count); }
  rest() { return this.take(this.data.length - this.at); }

  end() {
    if (this.at !== this.data.length) throw new MessageError("trailing bytes after a binary message");
  }
}

// -- ours ---------------------------------------------------------------------------

const WHAT = new Set(["view", "control"]);

function what(value) {
  if (!WHAT.has(value)) throw new TypeError(`'what' must be view or control, not ${value}`);
  return value;
}

export const policyMessage = (token) => ({ t: "policy", token: String(token) });
export const requestMessage = (action, id = globalThis.crypto.randomUUID()) => ({ t: "request", id, what: what(action) });
export const stopMessage = (action) => ({ t: "screen.stop", what: what(action) });
export const selectMessage = (monitor) => ({ t: "screen.select", monitor: Math.max(0, Math.trunc(monitor)) });
export const ackMessage = (seq) => ({ t: "screen.ack", seq });
export const refreshMessage = () => ({ t: "screen.refresh" });
export const moveMessage = ({ x, y }) => ({ t: "mouse.move", x, y });
export const buttonMessage = ({ x, y }, button, down) => ({ t: "mouse.button", x, y, button, down });
export const wheelMessage = ({ x, y }, dx, dy) => ({ t: "mouse.wheel", x, y, dx, dy });
export const keyMessage = (key, code, down) => ({ t: "key", key, code, down });
export const releaseMessage = () => ({ t: "release" });

export function textMessage(text) {
  if (typeof text !== "string" || text.length === 0) throw new TypeError("no text to type");
  return { t: "text", text: text.slice(0, MAX_TEXT_CHARS) };
}

export function sequenceMessage(name) {
  if (!SEQUENCES.includes(name)) throw new TypeError(`unknown key sequence ${name}`);
  return { t: "sequence", name };
}

/** DOM MouseEvent.button (0 main, 1 auxiliary, 2 secondary) to the contract's 1..3. */
export const contractButton = (domButton) => ({ 0: 1, 1: 2, 2: 3 })[domButton] ?? null;

// -- pointer position -----------------------------------------------------------------

/**
 * The picture pixel under a pointer at (clientX, clientY), `box` being the
 * canvas's client rectangle (getBoundingClientRect: it already includes the
 * CSS scaling of fit mode and the scroll offset of 1:1 mode), clamped to the
 * picture so a drag that leaves the canvas stays on its edge.
 */
export function picturePoint(clientX, clientY, box, picture) {
  const clamp = (value, size) => Math.min(size - 1, Math.max(0, Math.floor(value)));
  const scaleX = box.width > 0 ? picture.width / box.width : 1;
  const scaleY = box.height > 0 ? picture.height / box.height : 1;
  return {
    x: clamp((clientX - box.left) * scaleX, picture.width),
    y: clamp((clientY - box.top) * scaleY, picture.height),
  };
}

// -- the keyboard -----------------------------------------------------------------------

/** The key that takes the keyboard back: Ctrl+Alt+Shift held together. */
export const isReleaseChord = (event) => event.ctrlKey && event.altKey && event.shiftKey;

const COMPOSING = new Set(["Process", "Dead", "Unidentified"]);

/**
 * Turns keydown and keyup into `key` and `text` messages. A printable
 * character without Ctrl, Alt or Meta (or with AltGr, which some systems
 * report as Ctrl+Alt) is typed as text on keydown; everything else is a key
 * going down and up. Remembers which keys it sent down, so their keyup is
 * sent even when a modifier was let go first.
 */
export class KeyMapper {
  constructor() {
    this.down = new Set();
  }

  /** A message for a keydown, or null when the key is left to text input. */
  keyDown(event) {
    if (event.isComposing || COMPOSING.has(event.key) || !event.key) return null;
    const printable = [...event.key].length === 1;
    const chorded = (event.ctrlKey || event.altKey || event.metaKey) && !event.altGraph;
    if (printable && !chorded) return textMessage(event.key);
    this.down.add(event.code);
    return keyMessage(event.key, event.code, true);
  }

  keyUp(event) {
    if (!this.down.delete(event.code)) return null;
    return keyMessage(event.key, event.code, false);
  }

  /** Forget held keys (a release was sent). */
  reset() {
    this.down.clear();
  }
}

// -- the wheel ---------------------------------------------------------------------------

export const PIXELS_PER_NOTCH = 100;
export const LINES_PER_NOTCH = 3;
const DOM_DELTA_PIXEL = 0;
const DOM_DELTA_LINE = 1;

/**
 * Wheel events to whole notches. Pixel deltas (touchpads, Chromium's wheel)
 * add up, 100 px a notch; a line or page event, or a pixel event of at least
 * half a notch on its own (a wheel click on a slow setting), gives at least
 * one notch. Turning the other way drops what was left over.
 */
export class WheelNotches {
  constructor() {
    this.rest = { x: 0, y: 0 };
  }

  /** {dx, dy} in notches for one WheelEvent, or null when below one notch. */
  add({ deltaX, deltaY, deltaMode }) {
    const dx = this.axis("x", deltaX, deltaMode);
    const dy = this.axis("y", deltaY, deltaMode);
    return dx === 0 && dy === 0 ? null : { dx, dy };
  }

  axis(name, delta, mode) {
    if (!delta) return 0;
    const sign = Math.sign(delta);
    if (Math.sign(this.rest[name]) === -sign) this.rest[name] = 0;

    let units;
    if (mode === DOM_DELTA_PIXEL) units = delta / PIXELS_PER_NOTCH;
    else if (mode === DOM_DELTA_LINE) units = delta / LINES_PER_NOTCH;
    else units = delta;
    const wholeEvent = mode !== DOM_DELTA_PIXEL || Math.abs(units) >= 0.5;

    this.rest[name] += units;
    let notches = Math.trunc(this.rest[name]);
    if (notches === 0 && wholeEvent) notches = sign;
    this.rest[name] = notches === 0 ? this.rest[name] : this.rest[name] - notches;
    if (Math.sign(this.rest[name]) === -sign) this.rest[name] = 0;
    return notches;
  }
}
