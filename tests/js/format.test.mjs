import { test } from "node:test";
import assert from "node:assert/strict";

import { grouped, waited } from "../../src/lifebuoy/site/static/console/format.js";

test("waiting times read naturally and never go negative", () => {
  const start = new Date(Date.UTC(2026, 0, 1, 12, 0, 0));
  const after = (s) => new Date(start.getTime() + s * 1000);
  assert.equal(waited(start, after(0)), "0 s");
  assert.equal(waited(start, after(59)), "59 s");
  assert.equal(waited(start, after(65)), "1 min 05 s");
  assert.equal(waited(start, after(3600 + 120)), "1 h 02 min");
  assert.equal(waited(start, after(-30)), "0 s");
});

test("PINs and codes are shown in two groups of three", () => {
  assert.equal(grouped("042917"), "042 917");
});
