// The channel over gateway WebSockets (docs/gateway.md): one link that
// outlives its transports, as lifebuoy.protocol.aio does in Python.
//
// Theory of operation. The link joins the session on a gateway (`/v1/<role>`,
// the ticket as the first text message) and waits for `paired`. It then runs
// the channel: every binary message is a frame for the channel, and after each
// channel call the frames it queued are written to the WebSocket.
//
// When this end's WebSocket drops, the channel is told transportLost(); the
// link joins again with a fresh ticket and, once paired, calls resume(). When
// only the peer's WebSocket drops, the gateway says `peer-left` then
// `peer-returned`: the channel is told the same two things, because frames sent
// in between were dropped by the gateway.
//
// After each resume() every frame is discarded until the peer's RESUME comes
// (docs/protocol.md, section 7): frames written before the peer's transport
// changed can still be in the gateway's buffers and reach the new transport
// first; the peer resends them all after its RESUME.
//
// Events, to `onEvent`: {type: "status", status} with status "joining",
// "waiting", "handshake", "open", "peer-away", "reconnecting" or "ended";
// {type: "open", comparisonCode, peerParticipant}; {type: "message", data};
// {type: "closed", code, reason, clean, byPeer}.

import { Role } from "./channel.js";

const RESUME = 33;
/** Close codes after which joining again cannot help (docs/gateway.md). */
const PERMANENT = new Map([
  [1000, "the session ended"],
  [1009, "a frame was too large for the gateway"],
  [4002, "the ticket is for the other role"],
  [4006, "nobody came within the gateway's hold time"],
  [4007, "the customer did not return in time"],
  [4008, "the gateway refused a text message"],
]);

export const DEFAULT_RECONNECT = Object.freeze({ firstDelay: 200, maxDelay: 3000, deadline: 60_000 });

/** `wss://host:port` (or with a path) and a role: the gateway endpoint. */
export function endpoint(gateway, role) {
  const url = new URL(gateway);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/${role === Role.CUSTOMER ? "customer" : "technician"}`;
  return url.toString();
}

export class GatewayLink {
  constructor({
    channel, gateways, ticket, freshTicket, onEvent, WebSocketImpl = globalThis.WebSocket,
    now = () => Date.now() / 1000, timers = globalThis, clock = () => Date.now(), ackDelay = 50, handshakeTimeout = 30_000,
    closeTimeout = 5000, reconnect = DEFAULT_RECONNECT,
  }) {
    if (!gateways.length) throw new Error("at least one gateway URL is needed");
    Object.assign(this, { channel, gateways, freshTicket, onEvent, WebSocketImpl, now, timers, clock });
    Object.assign(this, { ackDelay, handshakeTimeout, closeTimeout, reconnect });
    this.firstTicket = ticket;
    this.gateway = 0;
    this.ws = null;
    this.initiated = false;
    this.peerPresent = false;
    this.awaitingResume = false;
    this.ended = false;
    this.lostSince = null;
    this.delay = reconnect.firstDelay;
    this.timersSet = { ack: null, handshake: null, retry: null };
    this.capacityWaiters = [];
    this.endWaiters = [];
  }

  get comparisonCode() { return this.channel.comparisonCode; }

  start() {
    this.status("joining");
    this.join(this.firstTicket);
  }

  /** Seal one message for the customer; waits while the send buffer is full. */
  async send(bytes) {
    for (;;) {
      if (this.ended) throw new Error("the session has ended");
      try {
        await this.channel.sendMessage(bytes);
        break;
      } catch (error) {
        if (!error.bufferFull) throw error;
        await new Promise((resolve) => this.capacityWaiters.push(resolve));
      }
    }
    this.flush();
  }

  /** End the channel with an authenticated close; resolves with how it ended. */
  async close(reason, code = 0) {
    if (!this.ended) {
      const ended = new Promise((resolve) => this.endWaiters.push(resolve));
      await this.channel.close(reason, code);
      this.flush();
      if (this.channel.closed && !this.channel.closeSent) { // before the handshake: nothing sent
        this.dispatch([{ type: "closed", code, reason, clean: false, byPeer: false }]);
      }
      const timer = this.timers.setTimeout(() => this.giveUp("no reply to the close"), this.closeTimeout);
      await ended;
      this.timers.clearTimeout(timer);
    }
    return this.closedEvent;
  }

  /** Stop without a close (the page is going away). */
  abandon(reason) {
    this.giveUp(reason);
  }

  // -- joining --------------------------------------------------------------

  join(ticket) {
    const ws = new this.WebSocketImpl(endpoint(this.gateways[this.gateway], this.channel.role));
    ws.binaryType = "arraybuffer";
    ws.admitted = false;
    this.ws = ws;
    ws.onopen = () => ws.send(ticket);
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      if (typeof event.data === "string") this.onNotice(ws, event.data);
      else this.onFrame(new Uint8Array(event.data));
    };
    ws.onclose = (event) => {
      if (ws === this.ws) this.onClose(ws, event);
    };
  }

  onClose(ws, { code, reason }) {
    this.ws = null;
    if (this.ended) return;
    const permanent = PERMANENT.get(code);
    if (permanent) {
      this.giveUp(code === 1000 ? "the customer left without closing the channel" : permanent);
      return;
    }
    if (!ws.admitted && code === 1006) this.gateway = (this.gateway + 1) % this.gateways.length;
    if (this.peerPresent) this.lose();
    this.status("reconnecting");
    this.lostSince ??= this.clock();
    this.retryLater(reason || `closed with ${code}`);
  }

  retryLater(why) {
    const elapsed = this.clock() - this.lostSince;
    if (elapsed > this.reconnect.deadline) {
      this.giveUp(`could not join the session again: ${why}`);
      return;
    }
    const wait = this.delay * (0.5 + Math.random() / 2);
    this.delay = Math.min(this.delay * 2, this.reconnect.maxDelay);
    this.timersSet.retry = this.timers.setTimeout(() => this.rejoin(), wait);
  }

  async rejoin() {
    this.timersSet.retry = null;
    if (this.ended) return;
    let ticket;
    try {
      ticket = await this.freshTicket();
    } catch (error) {
      if (error.retryable === false) this.giveUp(`no new ticket: ${error.message}`);
      else this.retryLater(`no new ticket: ${error.message}`);
      return;
    }
    if (!this.ended) this.join(ticket);
  }

  onNotice(ws, text) {
    let notice;
    try {
      notice = JSON.parse(text);
    } catch {
      return;
    }
    ws.admitted = true;
    if (notice.type === "waiting") {
      this.status(this.initiated ? "peer-away" : "waiting");
    } else if (notice.type === "paired" || notice.type === "peer-returned") {
      this.peerArrived();
    } else if (notice.type === "peer-left" && notice.resumable) {
      this.peerLeft();
    }
  }

  // -- the channel on one transport -------------------------------------------

  peerArrived() {
    this.lostSince = null;
    this.delay = this.reconnect.firstDelay;
    if (this.peerPresent || this.ended) return;
    this.peerPresent = true;
    if (!this.initiated) {
      this.initiated = true;
      this.status("handshake");
      this.timersSet.handshake = this.timers.setTimeout(() => this.handshakeOverdue(), this.handshakeTimeout);
      this.channel.initiate().then(() => this.flush(), (error) => this.fault(error));
      return;
    }
    this.awaitingResume = true;
    this.channel.resume().then(() => this.flush(), (error) => this.fault(error));
  }

  peerLeft() {
    if (!this.peerPresent || this.ended) return;
    this.status("peer-away");
    this.lose();
  }

  lose() {
    this.peerPresent = false;
    this.awaitingResume = false;
    this.channel.transportLost().then((events) => this.dispatch(events), (error) => this.fault(error));
  }

  onFrame(frame) {
    if (this.awaitingResume) {
      if (frame.length < 2 || frame[1] !== RESUME) return; // from before the peer resumed
      this.awaitingResume = false;
    }
    this.channel.receiveFrame(frame, this.now()).then((events) => {
      this.dispatch(events);
      this.flush();
      if (this.timersSet.ack === null && this.channel.isOpen) {
        this.timersSet.ack = this.timers.setTimeout(() => this.acknowledge(), this.ackDelay);
      }
    }, (error) => this.fault(error));
  }

  acknowledge() {
    this.timersSet.ack = null;
    if (this.channel.isOpen) this.channel.acknowledge().then(() => this.flush(), (error) => this.fault(error));
  }

  flush() {
    const frames = this.channel.framesToSend();
    const ws = this.ws;
    if (ws === null || ws.readyState !== 1) return; // resent after the resume
    for (const frame of frames) ws.send(frame);
  }

  dispatch(events) {
    for (const event of events) {
      if (event.type === "handshake-complete") {
        this.clearTimer("handshake");
        this.status("open");
        this.onEvent({ type: "open", comparisonCode: event.comparisonCode, peerParticipant: event.peerParticipant });
      } else if (event.type === "message") {
        this.onEvent({ type: "message", data: event.data });
      } else if (event.type === "resumed") {
        this.status("open");
      } else if (event.type === "send-capacity") {
        for (const resolve of this.capacityWaiters.splice(0)) resolve();
      } else if (event.type === "closed") {
        this.finish(event);
      }
    }
  }

  // -- the end ----------------------------------------------------------------

  finish(event) {
    if (this.ended) return;
    this.ended = true;
    this.closedEvent = event;
    this.flush();
    for (const name of Object.keys(this.timersSet)) this.clearTimer(name);
    if (this.ws !== null) this.ws.close(1000);
    this.ws = null;
    this.status("ended");
    this.onEvent({ type: "closed", ...event });
    for (const resolve of [...this.endWaiters.splice(0), ...this.capacityWaiters.splice(0)]) resolve();
  }

  giveUp(reason) {
    if (this.ended) return;
    this.channel.abandon(reason).then((events) => this.dispatch(events), (error) => this.fault(error));
  }

  handshakeOverdue() {
    this.timersSet.handshake = null;
    if (!this.channel.isOpen) this.giveUp("the handshake did not complete in time");
  }

  fault(error) {
    console.error("channel link:", error);
    this.finish({ type: "closed", code: 17, reason: String(error.message || error), clean: false, byPeer: false });
  }

  clearTimer(name) {
    if (this.timersSet[name] !== null) this.timers.clearTimeout(this.timersSet[name]);
    this.timersSet[name] = null;
  }

  status(status) {
    this.onEvent({ type: "status", status });
  }
}
