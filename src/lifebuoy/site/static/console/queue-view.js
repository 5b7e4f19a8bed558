// The queues on the left of the console: private and shared, with ticking
// waiting times. Everything a customer typed is set as text.

import { fromTemplate, waited } from "./format.js";
import { shown } from "./messages.js";

export class QueueView {
  /** `actions.pickup(summary)` picks a session up; `isOpen(id)` says if it has a tab. */
  constructor({ me, actions, isOpen }) {
    this.me = me;
    this.actions = actions;
    this.isOpen = isOpen;
    this.sessions = [];
    this.lists = {
      private: document.getElementById("queue-private"),
      group: document.getElementById("queue-group") ?? document.getElementById("queue-private"),
      mine: document.getElementById("queue-mine"),
    };
    this.empty = document.getElementById("queue-empty");
    this.mineSection = document.getElementById("mine-section");
    setInterval(() => this.tick(), 1000);
  }

  show(sessions) {
    this.sessions = sessions;
    this.render();
  }

  render() {
    const focused = document.activeElement?.closest?.(".queue-item")?.dataset.session;
    for (const list of Object.values(this.lists)) list.replaceChildren();

    let waiting = 0;
    let mine = 0;
    for (const session of this.sessions) {
      if (session.state === "waiting") {
        this.lists[session.queue === "group" ? "group" : "private"].append(this.item(session));
        waiting += 1;
      } else if (session.state !== "closed" && session.technician === this.me.email && !this.isOpen(session.id)) {
        this.lists.mine.append(this.item(session, { again: true }));
        mine += 1;
      }
    }
    this.empty.hidden = waiting > 0;
    this.empty.parentElement.classList.toggle("all-empty", waiting === 0);
    this.mineSection.hidden = mine === 0;
    this.tick();
    if (focused) document.querySelector(`.queue-item[data-session="${CSS.escape(focused)}"] button`)?.focus();
  }

  item(session, { again = false } = {}) {
    const item = fromTemplate("queue-item-template");
    const name = shown(session.customer_name, { singleLine: true })
      || (session.customer_present || session.customer_name !== "" ? "Customer (no name given)" : "A customer with your PIN");
    item.dataset.session = session.id;
    item.querySelector(".queue-name").textContent = name;
    if (!again) item.querySelector(".queue-wait").dataset.since = session.waiting_since;

    const problem = item.querySelector(".queue-problem");
    problem.textContent = shown(session.problem);
    problem.hidden = !session.problem;
    const host = shown(session.hostname, { singleLine: true });
    item.querySelector(".queue-host").textContent = host ? `Computer: ${host}` : "";
    item.querySelector(".queue-state").textContent = this.stateText(session, again);
    if (session.note) {
      const note = item.querySelector(".queue-note");
      note.textContent = `Transfer note: ${shown(session.note)}`;
      note.hidden = false;
    }

    const button = item.querySelector(".queue-pickup");
    button.textContent = again ? "Pick up again" : "Pick up";
    button.setAttribute("aria-label", `${button.textContent}: ${name}`);
    button.hidden = !session.customer_present;
    button.disabled = this.isOpen(session.id);
    button.addEventListener("click", () => this.actions.pickup(session, button));
    return item;
  }

  stateText(session, again) {
    if (again) return session.state === "on_hold" ? "On hold, picked up in another window." : "Picked up in another window.";
    if (!session.customer_present) return session.customer_name ? "Entered the PIN; the applet has not connected yet." : "PIN given; the customer has not entered it yet.";
    return session.queue === "group" && session.group_name ? `Shared queue: ${session.group_name}` : "";
  }

  tick() {
    const now = new Date();
    for (const node of document.querySelectorAll(".queue-wait[data-since]")) {
      node.textContent = waited(new Date(node.dataset.since), now);
    }
  }
}
