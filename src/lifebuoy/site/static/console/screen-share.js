// What the technician may do with the customer's screen in one session, and
// the messages about it (docs/screen.md). No DOM: screen-view.js shows it.
//
// The customer's applet decides; this only mirrors its `screen.state`, asks
// (`request`), and sends input while control is granted. Pictures, formats
// and cursor messages go on to `sink` (the view) once read.
//
// `log(kind, fields)` writes the session log events screen.request,
// screen.answer, screen.start, screen.stop and screen.refused with the fields
// the site reads (what, allowed, by, reason);
// `onChange()` is called whenever what `status` says may have changed.

import { parseBinary } from "./screen-protocol.js";
import * as wire from "./screen-protocol.js";

const NOUN = { view: "viewing", control: "control" };
const ANSWER_BY = new Set(["customer", "policy", "timeout"]);
const ACTORS = new Set(["customer", "technician", "policy"]);
const INPUT = new Set(["mouse.move", "mouse.button", "mouse.wheel", "key", "text", "sequence", "release"]);

export class ScreenShare {
  constructor({ send, log, onChange = () => {}, newId = () => globalThis.crypto.randomUUID() }) {
    Object.assign(this, { send, log, onChange, newId });
    this.view = false;
    this.control = false;
    this.asking = null; // {id, what} while the customer has not answered
    this.outcome = null; // {kind: "denied"|"stopped"|"refused", what, by, reason}
    this.monitors = [];
    this.selected = 0;
    this.format = null;
    this.sink = null;
    this.ended = false;
  }

  // -- what the technician does -------------------------------------------

  request(what) {
    const message = wire.requestMessage(what, this.newId());
    this.asking = { id: message.id, what };
    this.outcome = null;
    this.log("screen.request", { what });
    this.changed();
    return this.send(message);
  }

  /** `control`: give control back, keep viewing; `view`: stop everything. */
  stop(what) {
    return this.send(wire.stopMessage(what));
  }

  select(monitor) {
    return this.send(wire.selectMessage(monitor));
  }

  ack(seq) {
    if (!this.ended) this.send(wire.ackMessage(seq)).catch(() => {});
  }

  /** The picture was lost (a decoder error): ask for a whole new one. */
  refresh() {
    if (!this.ended && this.view) this.send(wire.refreshMessage()).catch(() => {});
  }

  /** Mouse and keyboard messages: sent only while control is granted. */
  input(message) {
    if (!INPUT.has(message.t) || !this.control || this.ended) return false;
    this.send(message).catch(() => {});
    return true;
  }

  // -- what the customer's applet says ---------------------------------------

  onMessage(message) {
    const handlers = {
      answer: () => this.onAnswer(message),
      "screen.state": () => this.onState(message),
      "screen.monitors": () => { this.monitors = message.monitors; this.selected = message.selected; this.changed(); },
      "screen.format": () => { this.format = message; this.sink?.format(message); this.changed(); },
      cursor: () => this.sink?.cursor(message),
      refused: () => this.onRefused(message),
    };
    handlers[message.t]?.();
  }

  /** A binary message; throws MessageError when it breaks the rules. */
  onBinary(data) {
    const message = parseBinary(data, this.format);
    if (message.kind === "cursor-shape") this.sink?.cursorShape(message);
    else if (this.sink) this.sink.picture(message);
    else this.ack(message.seq); // nothing to draw on: keep the applet going
  }

  onAnswer(message) {
    if (this.asking?.id === message.id) this.asking = null;
    const { what, allowed, reason } = message;
    const by = ANSWER_BY.has(reason) ? reason : "customer"; // "earlier answer": the customer's
    this.log("screen.answer", { what, allowed, by, reason });
    if (!allowed) this.outcome = { kind: "denied", what, by };
    this.changed();
  }

  onState({ view, control, by: said }) {
    const by = ACTORS.has(said) ? said : "customer";
    const before = { view: this.view, control: this.control };
    this.view = view || control;
    this.control = control;

    for (const what of ["view", "control"]) {
      if (!before[what] && this[what]) this.log("screen.start", { what });
      if (before[what] && !this[what]) {
        this.log("screen.stop", { what, by });
        this.outcome = { kind: "stopped", what, by };
      }
    }
    if (this.view) this.asking = null;
    if (!this.view) this.sink?.stopped();
    this.changed();
  }

  onRefused({ what: said, reason }) {
    const what = said === "view" ? "view" : "control"; // anything else is refused input
    const by = /not allowed|policy/.test(reason) ? "policy" : "customer";
    this.log("screen.refused", { what, by, reason });
    this.outcome = { kind: "refused", what, reason };
    this.changed();
  }

  /** The channel closed: nothing more is shown or sent. */
  close() {
    this.ended = true;
    this.view = false;
    this.control = false;
    this.asking = null;
    this.sink?.close();
    this.changed();
  }

  changed() {
    this.onChange(this);
  }

  // -- for people ---------------------------------------------------------------

  /** One short sentence: where viewing and control stand. */
  get status() {
    if (this.asking) return "Waiting for the customer to allow…";
    if (this.control) return "In control";
    const outcome = this.outcome ? outcomeText(this.outcome) : "";
    if (this.view) return outcome ? `Viewing · ${outcome}` : "Viewing";
    return outcome;
  }
}

function outcomeText({ kind, what, by, reason }) {
  if (kind === "denied") {
    if (by === "timeout") return `The customer did not answer; no ${NOUN[what]}`;
    if (by === "policy") return `Your group is not allowed ${NOUN[what] === "control" ? "remote control" : "to view screens"}`;
    return `The customer denied ${NOUN[what]}`;
  }
  if (kind === "stopped") return by === "technician" ? "Stopped" : by === "policy" ? "Stopped by the policy" : "Stopped by the customer";
  return `Refused by the customer's applet${reason ? ` (${reason})` : ""}`;
}
