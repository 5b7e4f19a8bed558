// The session log outbox: nothing lost, nothing duplicated, on a fake clock.
import { test } from "node:test";
import assert from "node:assert/strict";

import { Outbox, logEvent, storedKeys } from "../../src/lifebuoy/site/static/console/outbox.js";

class FakeTimers {
  constructor() { this.now = 0; this.next = 1; this.due = new Map(); }
  setTimeout(fn, ms) { const id = this.next++; this.due.set(id, { at: this.now + ms, fn }); return id; }
  clearTimeout(id) { this.due.delete(id); }
  /** Move the clock, running what falls due and letting promises settle. */
  async advance(ms) {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const [id, timer] = [...this.due].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
      if (id === undefined || timer.at > end) break;
      this.due.delete(id);
      this.now = timer.at;
      timer.fn();
    }
    this.now = end;
    await settle();
  }
}

const settle = async () => { for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r)); };

class MemoryStorage {
  constructor() { this.map = new Map(); }
  get length() { return this.map.size; }
  key(i) { return [...this.map.keys()][i] ?? null; }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

/** A site that stores each id once, and can be made unreachable or picky. */
function fakeSite() {
  const site = { stored: new Map(), posts: [], reachable: true, refuse: new Set(), status: 200 };
  site.post = async (events) => {
    site.posts.push(events.map((e) => e.id));
    if (!site.reachable) throw new TypeError("Failed to fetch");
    if (site.status !== 200) return { status: site.status };
    if (events.some((e) => site.refuse.has(e.id))) return { status: 400 };
    for (const e of events) if (!site.stored.has(e.id)) site.stored.set(e.id, e);
    return { status: 200 };
  };
  return site;
}

const event = (n) => logEvent("chat.technician", "technician-1", `line ${n}`, { id: `id-${n}` });

function make(site, extra = {}) {
  const timers = new FakeTimers();
  const storage = extra.storage ?? new MemoryStorage();
  const outbox = new Outbox({ key: "lifebuoy.outbox.1.s_x", post: site.post, storage, timers, random: () => 1, ...extra });
  return { outbox, timers, storage };
}

test("events are posted in order and forgotten once stored", async () => {
  const site = fakeSite();
  const { outbox, timers, storage } = make(site);
  for (let n = 0; n < 3; n++) outbox.add(event(n));
  await timers.advance(0);
  assert.deepEqual([...site.stored.keys()], ["id-0", "id-1", "id-2"]);
  assert.deepEqual(outbox.pending, []);
  assert.equal(storage.getItem("lifebuoy.outbox.1.s_x"), null);
});

test("while the site is unreachable events are kept and retried with backoff", async () => {
  const site = fakeSite();
  site.reachable = false;
  const { outbox, timers, storage } = make(site);
  outbox.add(event(0));
  await timers.advance(0);
  outbox.add(event(1));
  assert.equal(outbox.state, "retrying");
  assert.equal(JSON.parse(storage.getItem("lifebuoy.outbox.1.s_x")).length, 2);

  // 1 s, 2 s, 4 s, 8 s... between attempts.
  await timers.advance(999);
  assert.equal(site.posts.length, 1);
  await timers.advance(1);
  assert.equal(site.posts.length, 2);
  await timers.advance(2000);
  assert.equal(site.posts.length, 3);
  await timers.advance(3999);
  assert.equal(site.posts.length, 3);

  site.reachable = true;
  await timers.advance(1);
  assert.deepEqual([...site.stored.keys()], ["id-0", "id-1"]);
  assert.equal(outbox.state, "idle");
});

test("the backoff stops doubling at its ceiling", async () => {
  const site = fakeSite();
  site.reachable = false;
  const { outbox, timers } = make(site, { maxDelay: 4000 });
  outbox.add(event(0));
  await timers.advance(0);
  await timers.advance(1000 + 2000 + 4000);
  const before = site.posts.length;
  await timers.advance(4000);
  assert.equal(site.posts.length, before + 1);
});

test("a page reload resends what was kept, and the site dedupes", async () => {
  const site = fakeSite();
  const storage = new MemoryStorage();
  // The site stores the batch but its answer is lost, and the page goes away.
  const lostAnswer = async (events) => { await site.post(events); throw new TypeError("connection reset"); };
  const first = make({ post: lostAnswer }, { storage });
  first.outbox.add(event(0));
  first.outbox.add(event(1));
  await first.timers.advance(0);
  first.outbox.stop();
  assert.equal(site.stored.size, 2);

  const second = make(site, { storage });
  assert.deepEqual(second.outbox.pending.map((e) => e.id), ["id-0", "id-1"]);
  await second.timers.advance(0);
  assert.equal(site.stored.size, 2);
  assert.deepEqual(site.posts.at(-1), ["id-0", "id-1"]);
  assert.deepEqual(second.outbox.pending, []);
  assert.deepEqual(storedKeys(storage, "lifebuoy.outbox."), []);
});

test("adding the same id twice keeps one event", async () => {
  const site = fakeSite();
  const { outbox } = make(site);
  outbox.stop();
  outbox.add(event(7));
  outbox.add(event(7));
  assert.equal(outbox.pending.length, 1);
});

test("a refused batch is sent one by one and only the refused event is dropped", async () => {
  const site = fakeSite();
  site.refuse.add("id-2");
  const dropped = [];
  const { outbox, timers } = make(site, { onDropped: (events, status) => dropped.push([events.map((e) => e.id), status]) });
  for (let n = 0; n < 5; n++) outbox.add(event(n));
  outbox.stop();
  outbox.stopped = false;
  outbox.schedule(0);
  await timers.advance(0);
  assert.deepEqual([...site.stored.keys()].sort(), ["id-0", "id-1", "id-3", "id-4"]);
  assert.deepEqual(dropped, [[["id-2"], 400]]);
  assert.deepEqual(outbox.pending, []);
});

test("a log that is no longer ours is dropped at once and drain resolves", async () => {
  const site = fakeSite();
  site.status = 404;
  const dropped = [];
  const { outbox, timers } = make(site, { onDropped: (events) => dropped.push(...events) });
  outbox.add(event(0));
  const drained = outbox.drain();
  await timers.advance(0);
  await drained;
  assert.equal(dropped.length, 1);
  assert.equal(site.posts.length, 1);
});

test("drain waits through failures until everything is stored", async () => {
  const site = fakeSite();
  site.status = 503;
  const { outbox, timers } = make(site);
  outbox.add(event(0));
  let done = false;
  outbox.drain().then(() => { done = true; });
  await timers.advance(5000);
  assert.equal(done, false);
  site.status = 200;
  outbox.kick();
  await timers.advance(0);
  assert.equal(done, true);
});

test("Retry-After from a 429 is honoured", async () => {
  const answers = [{ status: 429, retryAfter: 20 }, { status: 200 }];
  let posts = 0;
  const { outbox, timers } = make({ post: async () => answers[posts++] });
  outbox.add(event(0));
  await timers.advance(0);
  await timers.advance(19_000);
  assert.equal(posts, 1);
  await timers.advance(1000);
  assert.equal(posts, 2);
  assert.deepEqual(outbox.pending, []);
});

test("only one batch is in flight at a time", async () => {
  let inFlight = 0;
  let most = 0;
  const post = async () => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight -= 1;
    return { status: 200 };
  };
  const { outbox, timers } = make({ post }, { batchSize: 2 });
  for (let n = 0; n < 7; n++) outbox.add(event(n));
  await timers.advance(0);
  assert.equal(most, 1);
  assert.deepEqual(outbox.pending, []);
});

test("log events carry the contract's fields and cap their text", () => {
  const e = logEvent("hold", "technician-3", "x".repeat(20_000), { at: new Date(Date.UTC(2026, 0, 2)) });
  assert.match(e.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(Object.keys(e), ["id", "kind", "at", "actor", "text"]);
  assert.equal(e.at, "2026-01-02T00:00:00.000Z");
  assert.equal(e.text.length, 10_000);
});
