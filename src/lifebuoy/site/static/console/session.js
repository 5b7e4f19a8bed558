// One support session on the technician's side: pick up, chat, hold,
// transfer, end (docs/sessions.md). No DOM here: session-view.js shows it.
//
// Changes are reported to `onChange(what)`, `what` one of "phase", "line",
// "details", "history", "code", "hold", "notice", "screen".
//
// Channel messages starting with 0x00 are the customer's screen pictures
// (docs/screen.md) and go to `screen` (screen-share.js); the rest is JSON.

import { api, persistently } from "./api.js";
import { Channel, Role } from "./channel.js";
import { GatewayLink } from "./gateway-link.js";
import {
  MessageError, VIOLATION_CODE, chatMessage, deliveredMessage, encodeMessage, endMessage,
  helloMessage, holdMessage, parseMessage, transferMessage,
} from "./messages.js";
import { logEvent } from "./outbox.js";
import { policyMessage } from "./screen-protocol.js";
import { ScreenShare } from "./screen-share.js";

const subtle = globalThis.crypto.subtle;
export const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
export const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** Phases in the order a session usually goes through them. */
export const Phase = Object.freeze({
  PICKING_UP: "picking-up", JOINING: "joining", WAITING: "waiting", HANDSHAKE: "handshake",
  OPEN: "open", PEER_AWAY: "peer-away", RECONNECTING: "reconnecting", ENDING: "ending",
  ENDED: "ended",
});

const SCREEN_TYPES = new Set(["answer", "screen.state", "screen.monitors", "screen.format", "cursor", "refused"]);

export class SupportSession {
  constructor({ summary, me, outbox, onChange = () => {} }) {
    this.id = summary.id;
    this.summary = summary;
    this.me = me;
    this.outbox = outbox;
    this.onChange = onChange;
    this.phase = Phase.PICKING_UP;
    this.lines = [];
    this.history = [];
    this.details = null;
    this.comparisonCode = null;
    this.onHold = summary.state === "on_hold";
    this.ending = null; // {by: "customer"|"technician"|"transfer"|"failure", text}
    this.notice = "";
    this.link = null;
    this.policy = null;
    this.screen = new ScreenShare({
      send: (message) => this.sendMessage(message),
      log: (kind, fields) => this.log(kind, "", { fields }),
      onChange: () => this.changed("screen"),
    });
  }

  get open() { return this.link !== null && this.comparisonCode !== null && this.phase !== Phase.ENDED; }
  get ended() { return this.phase === Phase.ENDED; }

  // -- pick up ----------------------------------------------------------------

  async pickup() {
    // Read before picking up: everything in the log then is earlier history.
    await this.loadHistory();
    const keyPair = await subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]);
    const publicKey = new Uint8Array(await subtle.exportKey("raw", keyPair.publicKey));
    const answer = await api.pickup(this.id, toBase64(publicKey));
    this.summary = answer.session;
    this.onHold = answer.session.state === "on_hold";
    this.participant = answer.participant;
    this.policy = typeof answer.policy === "string" && answer.policy ? answer.policy : null;
    this.changed("details");

    // channel.js checks the customer's certificate against these keys.
    const siteKeys = Object.fromEntries(
      Object.entries(answer.signing_keys).map(([keyId, key]) => [keyId, fromBase64(key)]),
    );
    const channel = await Channel.create({
      role: Role.TECHNICIAN, sessionId: this.id, certificate: fromBase64(answer.certificate),
      keyPair, siteKeys, now: Date.now() / 1000,
    });
    this.link = new GatewayLink({
      channel, gateways: answer.gateways, ticket: answer.ticket,
      freshTicket: async () => (await api.ticket(this.id)).ticket,
      onEvent: (event) => this.onLinkEvent(event),
    });
    this.link.start();
  }

  async loadHistory() {
    let events;
    try {
      ({ events } = await api.log(this.id));
    } catch (error) {
      this.say(`The earlier session log could not be loaded: ${error.message}`);
      return;
    }
    this.history = events;
    this.changed("history");
  }

  // -- the channel ------------------------------------------------------------

  onLinkEvent(event) {
    if (event.type === "status") {
      if (this.phase !== Phase.ENDED && this.phase !== Phase.ENDING) this.setPhase(event.status === "ended" ? Phase.ENDED : event.status);
    } else if (event.type === "open") {
      this.comparisonCode = event.comparisonCode;
      this.changed("code");
      this.sendMessage(helloMessage(this.me.name)).catch(() => {});
      // The applet allows nothing but chat without the site's signed policy.
      if (this.policy) this.sendMessage(policyMessage(this.policy)).catch(() => {});
    } else if (event.type === "message") {
      this.onMessage(event.data);
    } else if (event.type === "closed") {
      this.onClosed(event);
    }
  }

  onMessage(data) {
    let message;
    try {
      if (data.length > 0 && data[0] === 0) return this.screen.onBinary(data);
      message = parseMessage(data);
    } catch (error) {
      if (!(error instanceof MessageError)) throw error;
      this.ending = { by: "failure", text: `The customer's applet broke the rules (${error.message}); the session was ended.` };
      this.link.close(`protocol violation: ${error.message}`, VIOLATION_CODE);
      return;
    }

    if (message.t === "hello") {
      this.details = message;
      this.changed("details");
    } else if (message.t === "chat") {
      this.onChat(message);
    } else if (message.t === "delivered") {
      const line = this.lines.find((l) => l.id === message.id && l.from === "technician");
      if (line) this.setLineStatus(line, "delivered");
    } else if (message.t === "end") {
      this.ending = { by: "customer", text: "The customer ended the session." };
    } else if (SCREEN_TYPES.has(message.t)) {
      this.screen.onMessage(message);
    } else {
      console.info("ignored a channel message of type %s", message.type);
    }
  }

  onChat(message) {
    const at = new Date();
    this.lines.push({ id: message.id, from: "customer", text: message.text, at, status: "received" });
    this.changed("line");
    this.log("chat.customer", message.text, { actor: this.customerActor, at });
    this.sendMessage(deliveredMessage(message.id)).catch(() => {});
  }

  get customerActor() {
    return this.link?.channel.peerCertificate?.participantId ?? "customer";
  }

  onClosed(event) {
    this.screen.close();
    if (this.ending === null) {
      if (event.byPeer && event.clean) {
        this.ending = { by: "customer", text: "The customer ended the session." };
      } else if (event.clean) {
        this.ending = { by: "technician", text: "You ended the session." };
      } else {
        this.ending = { by: "failure", text: `The connection to the customer ended: ${event.reason || `error ${event.code}`}.` };
      }
    }
    if (this.phase !== Phase.ENDING) this.setPhase(Phase.ENDED);
  }

  async sendMessage(message) {
    await this.link.send(encodeMessage(message));
  }

  // -- what the technician does ----------------------------------------------

  async sendChat(text) {
    const message = chatMessage(text);
    const line = { id: message.id, from: "technician", text, at: new Date(message.at), status: "sending" };
    this.lines.push(line);
    this.changed("line");
    this.log("chat.technician", text, { id: message.id, at: line.at });
    try {
      await this.sendMessage(message);
      this.setLineStatus(line, line.status === "delivered" ? "delivered" : "sent");
    } catch (error) {
      this.setLineStatus(line, "failed");
      throw error;
    }
  }

  async setHold(on) {
    const answer = await api.hold(this.id, on);
    this.summary = answer.session;
    this.onHold = on;
    if (this.open) await this.sendMessage(holdMessage(on));
    this.say(on ? "The session is on hold; the customer sees that you will be back." : "The session is no longer on hold.");
    this.changed("hold");
  }

  /** `target` is {technician: email} or {group: id}; `label` says who, for people. */
  async transfer(target, label, note) {
    this.setPhase(Phase.ENDING);
    if (this.open) await this.sendMessage(transferMessage(label, note)).catch(() => {});
    this.say("Saving the session log…");
    await this.outbox.drain();
    await this.link?.close("transferred");
    try {
      await persistently(() => api.transfer(this.id, { ...target, note }), { onRetry: () => this.say("The site cannot be reached; trying again…") });
    } catch (error) {
      this.ending = { by: "failure", text: `The transfer failed: ${error.message} The session is still yours; the customer's applet waits for a technician. Pick it up again from your queue.` };
      this.setPhase(Phase.ENDED);
      return;
    }
    this.ending = { by: "transfer", text: `Transferred to ${label}. The customer's applet waits for them.` };
    this.setPhase(Phase.ENDED);
  }

  async end() {
    this.setPhase(Phase.ENDING);
    if (this.open) await this.sendMessage(endMessage("ended")).catch(() => {});
    await this.link?.close("ended");
    this.ending = { by: "technician", text: "You ended the session." };
    try {
      await persistently(() => api.close(this.id, "ended"));
    } catch (error) {
      this.ending = { by: "failure", text: `The session ended, but the site could not close it: ${error.message}` };
    }
    this.setPhase(Phase.ENDED);
  }

  /** The page is going away: no close, the customer may be picked up again. */
  abandon() {
    this.link?.abandon("the console page was closed");
  }

  // -- helpers ----------------------------------------------------------------

  /**
   * Chat, requests and answers go to the session log from here. Pickups,
   * holds, transfers and closes are recorded by the site itself when their
   * API call is made (docs/sessions.md), so the console never posts them.
   */
  log(kind, text, { actor = this.me.name, id, at, fields = {} } = {}) {
    this.outbox.add({ ...fields, ...logEvent(kind, actor, text, { id, at }) });
  }

  setLineStatus(line, status) {
    if (line.status === "delivered" && status === "sent") return;
    line.status = status;
    this.changed("line");
  }

  setPhase(phase) {
    this.phase = phase;
    this.changed("phase");
  }

  say(text) {
    this.notice = text;
    this.changed("notice");
  }

  changed(what) {
    this.onChange(what, this);
  }
}
