// One session on screen: its tab, and its panel with the chat, the customer's
// screen (screen-view.js), the comparison code, the details and the buttons.
// Everything from the customer's machine or the site's log is set as text (textContent), never as HTML.

import { clockTime, el, fromTemplate } from "./format.js";
import { shown } from "./messages.js";
import { ScreenView } from "./screen-view.js";
import { Phase } from "./session.js";

const PHASES = {
  [Phase.PICKING_UP]: ["Picking up…", "Picking the session up…"],
  [Phase.JOINING]: ["Connecting…", "Connecting to the gateway…"],
  [Phase.WAITING]: ["Waiting", "Waiting for the customer's applet to connect…"],
  [Phase.HANDSHAKE]: ["Securing…", "Setting up the end-to-end encrypted connection…"],
  [Phase.OPEN]: ["Connected", "Connected, end-to-end encrypted."],
  [Phase.PEER_AWAY]: ["Customer away", "The customer's connection dropped; waiting for it to come back…"],
  [Phase.RECONNECTING]: ["Reconnecting…", "Your connection dropped; reconnecting…"],
  [Phase.ENDING]: ["Ending…", "Ending the session…"],
  [Phase.ENDED]: ["Ended", ""],
};

const STATUS_TEXT = { sending: "Sending…", sent: "Sent", delivered: "Delivered", failed: "Not sent" };

const HISTORY_TEXT = {
  pickup: "Picked up the session",
  hold: "Put the session on hold",
  unhold: "Took the session back from hold",
  close: "Closed the session",
};

export class SessionView {
  constructor(session, { onDismiss, onHold, onTransfer, onEnd }) {
    this.session = session;
    this.tab = fromTemplate("session-tab-template");
    this.panel = fromTemplate("session-panel-template");
    this.tab.id = `tab-${session.id}`;
    this.panel.id = `panel-${session.id}`;
    this.tab.setAttribute("aria-controls", this.panel.id);
    this.panel.setAttribute("aria-labelledby", this.tab.id);
    this.panel.dataset.session = session.id;
    this.rows = new Map();
    this.$ = (selector) => this.panel.querySelector(selector);

    this.$(".session-hold").addEventListener("click", () => onHold(this));
    this.$(".session-transfer").addEventListener("click", () => onTransfer(this));
    this.$(".session-end").addEventListener("click", () => onEnd(this));
    this.$(".session-dismiss").addEventListener("click", () => onDismiss(this));
    this.setUpComposer();
    this.screen = new ScreenView(session, this.$(".screen-area"), { notice: (text) => this.notice(text) });
    for (const what of ["details", "phase", "code", "hold"]) this.update(what);
  }

  get selected() { return this.tab.getAttribute("aria-selected") === "true"; }

  setUpComposer() {
    const form = this.$(".chat-form");
    const input = this.$(".chat-input");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim() || !this.session.open) return;
      input.value = "";
      this.session.sendChat(text).catch((error) => this.notice(`Not sent: ${error.message}`));
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  update(what) {
    const handlers = {
      phase: () => { this.showPhase(); this.screen.update(); }, line: () => this.showLines(), details: () => this.showDetails(),
      history: () => this.showHistory(),
      code: () => { this.showCode(); this.showPhase(); this.screen.update(); },
      hold: () => this.showPhase(),
      screen: () => this.screen.update(),
      notice: () => this.notice(this.session.notice),
    };
    handlers[what]?.();
  }

  showPhase() {
    const { session } = this;
    const [badge, status] = PHASES[session.phase] ?? [session.phase, ""];
    const onHold = session.onHold && !session.ended;
    const phase = this.$(".session-phase");
    phase.textContent = onHold ? `${badge} · On hold` : badge;
    phase.dataset.phase = session.phase;
    this.$(".session-status").textContent = onHold ? `${status} The session is on hold.` : status;
    this.tab.querySelector(".tab-flag").textContent = session.ended ? " (ended)" : onHold ? " (on hold)" : "";

    const busy = session.ended || session.phase === Phase.ENDING || session.link === null;
    for (const name of [".session-hold", ".session-transfer", ".session-end"]) this.$(name).disabled = busy;
    const hold = this.$(".session-hold");
    hold.textContent = session.onHold ? "Take back from hold" : "Hold";
    hold.setAttribute("aria-pressed", String(session.onHold));
    this.$(".session-dismiss").hidden = !session.ended;
    this.$(".chat-input").disabled = !session.open;
    this.$(".chat-send").disabled = !session.open;

    const ending = this.$(".session-ending");
    ending.hidden = !session.ended || session.ending === null;
    ending.textContent = session.ending?.text ?? "";
    ending.dataset.by = session.ending?.by ?? "";
    this.panel.classList.toggle("ended", session.ended);
  }

  showCode() {
    this.$(".code-digits").textContent = this.session.comparisonCode ?? "··· ···";
    this.$(".code-box").classList.toggle("ready", this.session.comparisonCode !== null);
  }

  showDetails() {
    const { summary, details } = this.session;
    const name = shown(summary.customer_name, { singleLine: true });
    this.$(".session-name").textContent = name || "Customer (no name given)";
    this.tab.querySelector(".tab-name").textContent = name || "Customer";
    const put = (selector, value) => { this.$(selector).textContent = shown(value) || "—"; };
    put(".detail-name", summary.customer_name);
    put(".detail-problem", summary.problem);
    put(".detail-host", details?.hostname || summary.hostname);
    put(".detail-os", details?.os || summary.os);
    put(".detail-user", details?.user);
    put(".detail-id", summary.id);
  }

  showLines() {
    const log = this.$(".chat-log[role=log]");
    let added = false;
    for (const line of this.session.lines) {
      let row = this.rows.get(line);
      if (row === undefined) {
        row = chatRow(line.from === "technician" ? "You" : "Customer", line.at, line.text, `from-${line.from}`);
        this.rows.set(line, row);
        log.append(row);
        added = true;
        if (line.from === "customer" && !this.selected) this.markUnread(true);
      }
      if (line.from === "technician") {
        const status = row.querySelector(".chat-status");
        status.textContent = STATUS_TEXT[line.status] ?? "";
        status.dataset.status = line.status;
      }
    }
    if (added) log.scrollTop = log.scrollHeight;
  }

  showHistory() {
    const events = this.session.history;
    const box = this.$(".session-history");
    box.hidden = events.length === 0;
    box.open = events.length > 0;
    this.$(".history-log").replaceChildren(...events.map(historyRow));
  }

  markUnread(on) {
    this.tab.classList.toggle("unread", on);
    this.tab.querySelector(".tab-unread").textContent = on ? "(new messages)" : "";
  }

  notice(text) {
    this.$(".session-notice").textContent = text;
  }
}

function chatRow(who, at, text, className) {
  return el("li", { className: `chat-line ${className}` },
    el("div", { className: "chat-meta" },
      el("span", { className: "chat-who", text: who }),
      el("time", { className: "chat-time", text: clockTime(at), attrs: { datetime: at.toISOString() } }),
      el("span", { className: "chat-status" })),
    el("p", { className: "chat-text", text: shown(text) }));
}

function historyRow(event) {
  const at = new Date(event.at);
  const chat = event.kind.startsWith("chat.");
  const who = event.kind === "chat.customer" ? "Customer" : shown(event.actor, { singleLine: true }) || "Site";
  let text = chat ? event.text || "(chat text not stored)" : HISTORY_TEXT[event.kind] ?? event.kind;
  if (event.kind === "transfer") text = `Transferred the session ${event.text}`.trim();
  else if (!chat && event.text && event.kind !== "pickup") text = `${text}: ${event.text}`;
  const from = event.kind === "chat.customer" ? "from-customer" : chat ? "from-technician" : "from-site";
  return chatRow(who, Number.isNaN(at.getTime()) ? new Date(0) : at, text, from);
}
