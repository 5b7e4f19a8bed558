// Numbers about the picture for the overlay and for benchmarks: frames per
// second, bit rate, delay. Times are performance.now() milliseconds, passed in.
//
// The delay is an estimate: the applet's encode time from the message
// header, plus half the round trip, plus our decode time. The round trip is
// read from the pacing (docs/screen.md): with IN_FLIGHT messages unanswered
// the applet waits for our acknowledgement of `seq - IN_FLIGHT` before it
// sends `seq`. When it was surely waiting (we had already received
// `seq - 1` when we sent that acknowledgement), the time from sending the
// acknowledgement to receiving `seq`, less its encode time, is a round trip
// plus a capture; the smallest of the recent ones is taken.

export const IN_FLIGHT = 3;
const WINDOW_MS = 1000;
const RTT_SAMPLES = 16;

export class ScreenStats {
  constructor() {
    this.frames = 0; // video frames and sharp messages painted
    this.bytes = 0; // picture bytes received
    this.kindBytes = { video: 0, sharp: 0 }; // the same by message kind
    this.kindFrames = { video: 0, sharp: 0 }; // painted, by message kind
    this.fps = 0;
    this.kbps = 0;
    this.delay = 0;
    this.rtt = 0;
    this.decodeMs = 0;
    this.recent = []; // {at, bytes, painted}
    this.arrived = new Map(); // seq -> ms
    this.acked = new Map(); // seq -> ms
    this.samples = [];
  }

  received(message, size, now) {
    this.bytes += size;
    this.kindBytes[message.kind] = (this.kindBytes[message.kind] ?? 0) + size;
    this.recent.push({ at: now, bytes: size, painted: false });
    this.arrived.set(message.seq, now);

    const waitedFor = message.seq - IN_FLIGHT;
    const ackAt = this.acked.get(waitedFor);
    const previous = this.arrived.get(message.seq - 1);
    if (ackAt !== undefined && previous !== undefined && previous <= ackAt) {
      const sample = now - ackAt - (message.encodeMs ?? 0);
      if (sample >= 0) this.samples = [...this.samples.slice(1 - RTT_SAMPLES), sample];
      this.rtt = Math.min(...this.samples);
    }
    this.forget(message.seq - 4 * IN_FLIGHT);
    this.roll(now);
  }

  drawn(message, decodeMs, now) {
    this.frames += 1;
    this.kindFrames[message.kind] = (this.kindFrames[message.kind] ?? 0) + 1;
    this.recent.push({ at: now, bytes: 0, painted: true });
    if (message.kind === "video") {
      this.decodeMs = decodeMs;
      this.delay = Math.round(message.encodeMs + this.rtt / 2 + decodeMs);
    }
    this.roll(now);
  }

  ackSent(seq, now) {
    this.acked.set(seq, now);
  }

  /** Drop what is older than the one-second window and recount. */
  roll(now) {
    while (this.recent.length && now - this.recent[0].at > WINDOW_MS) this.recent.shift();
    this.fps = this.recent.filter((item) => item.painted).length;
    this.kbps = Math.round(this.recent.reduce((sum, item) => sum + item.bytes, 0) * 8 / 1000);
  }

  forget(below) {
    for (const map of [this.arrived, this.acked]) for (const seq of map.keys()) if (seq < below) map.delete(seq);
  }
}
