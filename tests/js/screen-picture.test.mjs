// The part of a decoded frame the console converts and draws.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Picture, alignedBox } from "../../src/lifebuoy/site/static/console/screen-picture.js";

test("the box around a click's change starts and ends on even pixels", () => {
  const box = alignedBox([{ x: 761, y: 341, w: 399, h: 299 }], 1920, 1080);
  assert.deepEqual(box, { x: 760, y: 340, width: 400, height: 300 });
});

test("several rectangles give one box around them all", () => {
  const rects = [{ x: 0, y: 64, w: 64, h: 64 }, { x: 640, y: 0, w: 128, h: 10 }];
  assert.deepEqual(alignedBox(rects, 1920, 1080), { x: 0, y: 0, width: 768, height: 128 });
});

test("the box stays inside the coded picture", () => {
  const box = alignedBox([{ x: 1917, y: 1077, w: 3, h: 3 }], 1920, 1080);
  assert.deepEqual(box, { x: 1916, y: 1076, width: 4, height: 4 });
});

test("the whole picture needs no box", () => {
  assert.equal(alignedBox([{ x: 0, y: 0, w: 1920, h: 1080 }], 1920, 1080), null);
  assert.equal(alignedBox([], 1920, 1080), null);
});

// A stand-in for WebCodecs' VideoDecoder (node has none): it fails on the
// first chunk it is given, as a decoder does on a corrupt frame.
class FailingDecoder {
  static made = [];
  constructor({ error }) {
    this.state = "unconfigured";
    this.onDecodeError = error;
    FailingDecoder.made.push(this);
  }
  configure() { this.state = "configured"; }
  reset() { this.state = "unconfigured"; }
  close() { this.state = "closed"; }
  decode() {
    this.state = "closed";
    this.onDecodeError(new Error("corrupt frame"));
  }
}

test("a decoder error asks the applet for a whole new picture, once per error", async () => {
  const saved = { VideoDecoder: globalThis.VideoDecoder, EncodedVideoChunk: globalThis.EncodedVideoChunk };
  globalThis.VideoDecoder = FailingDecoder;
  globalThis.EncodedVideoChunk = class { constructor(init) { Object.assign(this, init); } };
  try {
    const canvas = { width: 0, height: 0, getContext: () => ({}) };
    const errors = [];
    let lost = 0;
    const picture = new Picture(canvas, {
      onDrawn: () => {}, onError: (text) => errors.push(text), onLost: () => { lost += 1; },
    });
    picture.configure({ codec: "avc1.4D4028", width: 64, height: 48, monitor: 1 });
    const frame = (seq, key) => ({ kind: "video", seq, key, rects: [], data: new Uint8Array(4) });
    picture.add(frame(1, true));
    assert.equal(lost, 1);
    assert.match(errors[0], /could not be decoded \(corrupt frame\); asking for a new one/);
    // Delta frames after the loss are dropped without asking again; the key
    // frame the applet sends goes to a fresh decoder.
    picture.add(frame(2, false));
    assert.equal(lost, 1);
    assert.equal(FailingDecoder.made.length, 2);
    picture.add(frame(3, true));
    assert.equal(lost, 2);
    picture.close();
  } finally {
    Object.assign(globalThis, saved);
  }
});
