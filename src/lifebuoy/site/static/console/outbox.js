// The session log outbox: events on their way to the site, never lost, never
// sent twice as two events.
//
// Every event (a chat line, a hold, a close...) gets its id when it is made
// and is kept in memory and in storage (localStorage, one key per session)
// until the site has answered 2xx for a batch holding it. The site stores each
// id once per session (docs/sessions.md), so a batch sent again after a
// network failure or a page reload is not duplicated there.
//
// Answers the site gives, and what the outbox does:
//   2xx                      the batch is stored: forget it, send the next
//   400, 413, 422            the batch is refused as it is: send one event at a
//                            time until the refused one is found, and drop it
//   404, 409, 410            the log is no longer ours (transferred, or closed
//                            past the grace): drop everything, say so
//   anything else, no answer retry the same batch with backoff (1 s doubling
//                            to 30 s, jittered; Retry-After is honoured)
//
// `post(events)` returns a promise of {status, retryAfter?} and rejects when
// the site cannot be reached; timers are injected so tests run on a fake clock.

const REFUSED = new Set([400, 413, 422]);
const NOT_OURS = new Set([404, 409, 410]);

export class Outbox {
  constructor({
    key, post, storage = null, timers = globalThis, random = Math.random,
    firstDelay = 1000, maxDelay = 30_000, batchSize = 200, onChange = () => {}, onDropped = () => {},
  }) {
    Object.assign(this, { key, post, storage, timers, random, firstDelay, maxDelay, batchSize, onChange, onDropped });
    this.events = load(storage, key);
    this.delay = firstDelay;
    this.timer = null;
    this.sending = false;
    this.stopped = false;
    this.isolate = null; // id of the last event of a refused batch
    this.waiters = [];
    this.failures = 0;
    if (this.events.length) this.schedule(0);
  }

  /** Events not yet stored by the site, oldest first. */
  get pending() { return this.events.slice(); }

  /** "idle", "sending" or "retrying" (the last attempt failed; one is scheduled). */
  get state() {
    if (this.sending) return "sending";
    if (this.failures) return "retrying";
    return "idle";
  }

  add(event) {
    if (this.events.some((e) => e.id === event.id)) return;
    this.events.push(event);
    this.save();
    this.changed();
    if (!this.sending && this.failures === 0) this.schedule(0);
  }

  /** Try now instead of waiting for the backoff (the network is back). */
  kick() {
    if (!this.sending && this.events.length && !this.stopped) this.schedule(0);
  }

  /** Resolves once every event so far is stored (or dropped as not ours). */
  drain() {
    if (!this.events.length) return Promise.resolve();
    this.kick();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop() {
    this.stopped = true;
    this.cancelTimer();
  }

  // -- sending ------------------------------------------------------------

  schedule(ms) {
    if (this.stopped) return;
    this.cancelTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.send();
    }, ms);
  }

  cancelTimer() {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  async send() {
    if (this.sending || this.stopped || !this.events.length) return;
    const batch = this.events.slice(0, this.isolate ? 1 : this.batchSize);
    this.sending = true;
    this.changed();
    let answer;
    try {
      answer = await this.post(batch);
    } catch {
      answer = { status: 0 };
    }
    this.sending = false;
    this.handle(batch, answer);
  }

  handle(batch, { status, retryAfter = 0 }) {
    if (status >= 200 && status < 300) {
      this.succeeded(batch);
    } else if (REFUSED.has(status) && batch.length > 1) {
      this.isolate = batch.at(-1).id;
      this.schedule(0);
    } else if (REFUSED.has(status)) {
      this.drop(batch, status);
    } else if (NOT_OURS.has(status)) {
      this.drop(this.events.slice(), status);
    } else {
      this.failed(retryAfter);
    }
    this.changed();
  }

  succeeded(batch) {
    this.failures = 0;
    this.delay = this.firstDelay;
    this.forget(batch);
    if (this.events.length) this.schedule(0);
  }

  failed(retryAfter) {
    this.failures += 1;
    const wait = this.delay * (0.5 + this.random() / 2);
    this.delay = Math.min(this.delay * 2, this.maxDelay);
    this.schedule(Math.max(wait, retryAfter * 1000));
  }

  drop(events, status) {
    this.failures = 0;
    this.delay = this.firstDelay;
    this.forget(events);
    this.onDropped(events, status);
    if (this.events.length) this.schedule(0);
  }

  forget(batch) {
    const gone = new Set(batch.map((e) => e.id));
    this.events = this.events.filter((e) => !gone.has(e.id));
    if (this.isolate && gone.has(this.isolate)) this.isolate = null;
    this.save();
    if (!this.events.length) for (const resolve of this.waiters.splice(0)) resolve();
  }

  // -- storage ------------------------------------------------------------

  save() {
    if (!this.storage) return;
    try {
      if (this.events.length) this.storage.setItem(this.key, JSON.stringify(this.events));
      else this.storage.removeItem(this.key);
    } catch (error) {
      // Full or refused storage: the events are still in memory.
      console.warn("session log outbox not saved:", error.name);
    }
  }

  changed() {
    this.onChange(this);
  }
}

function load(storage, key) {
  if (!storage) return [];
  try {
    const events = JSON.parse(storage.getItem(key) ?? "[]");
    return Array.isArray(events) ? events.filter((e) => e && typeof e.id === "string") : [];
  } catch {
    return [];
  }
}

/** Keys in storage that start with `prefix` (outboxes left by an earlier page). */
export function storedKeys(storage, prefix) {
  const keys = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key !== null && key.startsWith(prefix)) keys.push(key);
  }
  return keys;
}

/** A session log event (docs/sessions.md, `Event`). */
export function logEvent(kind, actor, text = "", { id = globalThis.crypto.randomUUID(), at = new Date() } = {}) {
  return { id, kind, at: at.toISOString(), actor, text: String(text).slice(0, 10_000) };
}
