// The Technician Console: the page's entry point.
//
//   console.js       wires it together: config, tabs, dialogs, outboxes
//   live-queue.js    the queue WebSocket (reconnects with backoff)
//   queue-view.js    the queues, with ticking waiting times
//   pin-panel.js     "New PIN"
//   session.js       one session: pickup, channel, chat, hold, transfer, end
//   session-view.js  one session on screen (a tab and its panel)
//   screen-view.js   the customer's screen in a panel: picture, cursor, tools
//   screen-share.js  viewing and control as the applet grants them
//   screen-picture.js, screen-input.js, screen-stats.js, screen-protocol.js
//                    decoding and painting, mouse and keyboard, numbers, wire
//   gateway-link.js  the channel over gateway WebSockets, with resumption
//   outbox.js        the session log on its way to the site, retried
//   messages.js      channel messages, read strictly
//   api.js           the site's support API
//
// Configuration comes from <script type="application/json" id="console-config">.

import { api } from "./api.js";
import { LiveQueue } from "./live-queue.js";
import { Outbox, storedKeys } from "./outbox.js";
import { setUpPinPanel } from "./pin-panel.js";
import { QueueView } from "./queue-view.js";
import { SupportSession } from "./session.js";
import { SessionView } from "./session-view.js";

const config = JSON.parse(document.getElementById("console-config").textContent);
const me = config.user;
const OUTBOX_PREFIX = `lifebuoy.outbox.${me.id}.`;

const open = new Map(); // session id -> SessionView
const outboxes = new Map(); // session id -> Outbox
const tabs = document.getElementById("session-tabs");
const panels = document.getElementById("session-panels");
const welcome = document.getElementById("welcome");

// -- the session log outboxes -------------------------------------------------

function outboxFor(sessionId) {
  let outbox = outboxes.get(sessionId);
  if (outbox === undefined) {
    outbox = new Outbox({
      key: OUTBOX_PREFIX + sessionId,
      storage: window.localStorage,
      post: (events) => api.postEvents(sessionId, events),
      onDropped: (events, status) => console.warn("the site refused %d log events (%d) of %s", events.length, status, sessionId),
    });
    outboxes.set(sessionId, outbox);
  }
  return outbox;
}

/** Outboxes an earlier page left in storage start sending again. */
function restoreOutboxes() {
  for (const key of storedKeys(window.localStorage, OUTBOX_PREFIX)) outboxFor(key.slice(OUTBOX_PREFIX.length));
}

// -- tabs -----------------------------------------------------------------------

function select(view, { focus = false } = {}) {
  for (const other of open.values()) {
    const chosen = other === view;
    other.tab.setAttribute("aria-selected", String(chosen));
    other.tab.tabIndex = chosen ? 0 : -1;
    other.panel.hidden = !chosen;
  }
  view.markUnread(false);
  if (focus) view.tab.focus();
}

tabs.addEventListener("keydown", (event) => {
  const views = [...open.values()];
  const at = views.findIndex((view) => view.tab === document.activeElement);
  if (at < 0) return;
  const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: views.length - 1 }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  select(views[(next + views.length) % views.length], { focus: true });
});

function showTabs() {
  tabs.hidden = open.size === 0;
  welcome.hidden = open.size > 0;
  queue.render();
}

// -- picking up -----------------------------------------------------------------

function pickup(summary) {
  const already = open.get(summary.id);
  if (already) return select(already, { focus: true });

  const session = new SupportSession({ summary, me, outbox: outboxFor(summary.id), onChange: (what) => view.update(what) });
  const view = new SessionView(session, { onDismiss: dismiss, onHold: hold, onTransfer: transferDialog, onEnd: endDialog });
  view.tab.addEventListener("click", () => select(view));
  open.set(summary.id, view);
  tabs.append(view.tab);
  panels.append(view.panel);
  select(view);
  showTabs();
  view.$(".chat-input").focus();

  session.pickup().catch((error) => {
    session.ending = { by: "failure", text: `Could not pick the session up: ${error.message}` };
    session.setPhase("ended");
  });
}

function dismiss(view) {
  const views = [...open.values()];
  const at = views.indexOf(view);
  open.delete(view.session.id);
  view.screen.forget();
  view.tab.remove();
  view.panel.remove();
  const next = views[at + 1] ?? views[at - 1];
  if (next && next !== view) select(next, { focus: true });
  showTabs();
}

// -- hold, transfer, end ----------------------------------------------------------

function hold(view) {
  view.session.setHold(!view.session.onHold).catch((error) => view.notice(`Hold failed: ${error.message}`));
}

const transfer = {
  dialog: document.getElementById("transfer-dialog"),
  form: document.getElementById("transfer-form"),
  email: document.getElementById("transfer-technician"),
  group: document.getElementById("transfer-group"),
  note: document.getElementById("transfer-note"),
  error: document.getElementById("transfer-error"),
  view: null,
};

for (const group of config.groups) transfer.group.append(new Option(group.name, String(group.id)));

transfer.form.addEventListener("change", () => {
  const toGroup = transfer.form.elements.target.value === "group";
  document.getElementById("transfer-technician-field").hidden = toGroup;
  document.getElementById("transfer-group-field").hidden = !toGroup;
});

transfer.form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (event.submitter?.value !== "transfer") return transfer.dialog.close();
  const toGroup = transfer.form.elements.target.value === "group";
  const email = transfer.email.value.trim();
  let target;
  let label;
  if (toGroup) {
    const option = transfer.group.selectedOptions[0];
    if (!option) return showTransferError("There is no group to transfer to.");
    target = { group: Number(option.value) };
    label = option.text;
  } else {
    if (!transfer.email.checkValidity() || !email) return showTransferError("Enter the technician's email address.");
    if (email.toLowerCase() === me.email.toLowerCase()) return showTransferError("That is you; choose another technician.");
    target = { technician: email };
    label = email;
  }
  transfer.dialog.close();
  const { session } = transfer.view;
  session.transfer(target, label, transfer.note.value.trim()).catch((error) => transfer.view.notice(`Transfer failed: ${error.message}`));
});

function showTransferError(text) {
  transfer.error.textContent = text;
  transfer.error.hidden = false;
}

function transferDialog(view) {
  transfer.view = view;
  transfer.form.reset();
  transfer.form.dispatchEvent(new Event("change"));
  transfer.error.hidden = true;
  transfer.dialog.showModal();
  transfer.email.focus();
}

const endConfirm = document.getElementById("end-dialog");
let ending = null;
endConfirm.addEventListener("close", () => {
  if (endConfirm.returnValue === "end" && ending) {
    const view = ending;
    view.session.end().catch((error) => view.notice(`Ending failed: ${error.message}`));
  }
  ending = null;
});

function endDialog(view) {
  ending = view;
  endConfirm.returnValue = "";
  endConfirm.showModal();
}

// -- the page -----------------------------------------------------------------------

const liveStatus = document.getElementById("live-status");
const LIVE_TEXT = {
  connecting: "Connecting to the site…",
  live: "Queue is live.",
  reconnecting: "The site cannot be reached; reconnecting…",
  "logged-out": "Your web session has ended. Log in again.",
  refused: "Only technicians have queues.",
};

const queue = new QueueView({ me, actions: { pickup }, isOpen: (id) => open.has(id) });
const live = new LiveQueue({
  onQueue: (sessions) => queue.show(sessions),
  onState: (state) => {
    liveStatus.textContent = LIVE_TEXT[state] ?? state;
    liveStatus.dataset.state = state;
  },
});

window.addEventListener("online", () => {
  live.kick();
  for (const outbox of outboxes.values()) outbox.kick();
});

window.addEventListener("beforeunload", (event) => {
  const busy = [...open.values()].some((view) => !view.session.ended);
  const unsent = [...outboxes.values()].some((outbox) => outbox.pending.length);
  if (busy || unsent) event.preventDefault();
});

setUpPinPanel();
restoreOutboxes();
if (config.is_technician) live.start();
else live.onState("refused");
