// The part of a decoded frame the console converts and draws.
import assert from "node:assert/strict";
import { test } from "node:test";

import { alignedBox } from "../../src/lifebuoy/site/static/console/screen-picture.js";

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
