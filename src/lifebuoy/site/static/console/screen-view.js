// The "Screen" area of a session panel: asking to view and control, the
// customer's picture with its cursor, the tools around it and the overlay
// with the numbers. It is the `sink` of the session's ScreenShare.
//
// For tests and benchmarks every view is in `window.lifebuoyScreens`
// (session id -> ScreenView); it has `stats` (screen-stats.js) and fires a
// "picture" event, detail {seq, rects, drawnAt}, after each picture message
// is painted.

import { shown } from "./messages.js";
import { ScreenInput } from "./screen-input.js";
import { Picture } from "./screen-picture.js";
import { SEQUENCES, sequenceMessage } from "./screen-protocol.js";
import { ScreenStats } from "./screen-stats.js";

export const screens = (globalThis.lifebuoyScreens ??= new Map());

const SEQUENCE_NAMES = {
  "ctrl-alt-del": "Ctrl+Alt+Del", "alt-tab": "Alt+Tab", "alt-f4": "Alt+F4",
  super: "Super (Windows key)", "ctrl-esc": "Ctrl+Esc", "print-screen": "Print Screen",
};
const MAX_CURSOR_SHAPES = 64;

export class ScreenView extends EventTarget {
  constructor(session, root, { notice }) {
    super();
    Object.assign(this, { session, root, notice });
    this.share = session.screen;
    this.$ = (selector) => root.querySelector(selector);
    this.canvas = this.$(".screen-canvas");
    this.overlay = this.$(".screen-cursor");
    this.stage = this.$(".screen-stage");
    this.stats = new ScreenStats();
    this.fit = true;
    this.shapes = new Map();
    this.pointer = null;

    this.painter = new Picture(this.canvas, {
      onDrawn: (message, painted) => this.onDrawn(message, painted),
      onError: (text) => this.showError(text),
      onLost: () => this.share.refresh(),
    });
    this.input = new ScreenInput({
      surface: this.overlay, keys: this.$(".screen-keys"),
      size: () => this.painter.format,
      active: () => this.share.control,
      send: (message) => this.share.input(message),
      onRelease: () => this.showKeyboard(false),
    });
    this.$(".screen-keys").addEventListener("focus", () => this.showKeyboard(true));
    this.wire();
    this.share.sink = this;
    screens.set(session.id, this);
    new ResizeObserver(() => this.layout()).observe(this.stage);
    this.update();
  }

  // -- the buttons ---------------------------------------------------------------

  wire() {
    const click = (selector, action) => this.$(selector).addEventListener("click", action);
    const failed = (error) => this.notice(`Not sent: ${error.message}`);
    click(".screen-view-button", () => this.share.request("view").catch(failed));
    click(".screen-control-button", () => this.share.request("control").catch(failed));
    click(".screen-stop-control", () => this.share.stop("control").catch(failed));
    click(".screen-stop-view", () => this.share.stop("view").catch(failed));
    click(".screen-fit", () => { this.fit = !this.fit; this.layout(); this.update(); });
    click(".screen-fullscreen", () => this.toggleFullscreen());
    click(".screen-release", () => this.$(".screen-keys").blur());
    click(".screen-stats-toggle", (event) => {
      const on = event.currentTarget.getAttribute("aria-pressed") !== "true";
      event.currentTarget.setAttribute("aria-pressed", String(on));
      this.$(".screen-stats").hidden = !on;
    });
    click(".screen-sequence-send", () => {
      const name = this.$(".screen-sequence").value;
      if (SEQUENCES.includes(name)) this.share.input(sequenceMessage(name));
    });
    this.$(".screen-monitor").addEventListener("change", (event) => {
      this.share.select(Number(event.currentTarget.value)).catch(failed);
    });
    this.$(".screen-sequence").append(...SEQUENCES.map((name) => new Option(SEQUENCE_NAMES[name], name)));
    this.root.addEventListener("fullscreenchange", () => { this.update(); this.layout(); });
  }

  toggleFullscreen() {
    if (document.fullscreenElement === this.root) document.exitFullscreen();
    else this.root.requestFullscreen().catch((error) => this.notice(`Full screen is not available: ${error.message}`));
  }

  /** Show where viewing and control stand (the session's "screen" change). */
  update() {
    const { share, session } = this;
    const open = session.open && !share.ended;
    const viewing = share.view && open;
    const control = share.control && open;

    this.$(".screen-status").textContent = share.status;
    this.$(".screen-view-button").hidden = viewing;
    this.$(".screen-view-button").disabled = !open || share.asking !== null;
    this.$(".screen-control-button").hidden = control;
    this.$(".screen-control-button").disabled = !open || share.asking !== null;
    this.$(".screen-stop-control").hidden = !control;
    this.$(".screen-tools").hidden = !viewing;
    for (const name of [".screen-sequence-field", ".screen-release", ".screen-key-hint"]) this.$(name).hidden = !control;
    this.$(".screen-empty").hidden = viewing;
    this.stage.hidden = !viewing;
    this.stage.classList.toggle("in-control", control);
    this.root.classList.toggle("viewing", viewing);
    this.root.closest(".session-panel")?.classList.toggle("viewing", viewing);
    this.$(".screen-fit").textContent = this.fit ? "1:1" : "Fit to window";
    this.$(".screen-fit").setAttribute("aria-label", this.fit ? "Show at actual size (1:1)" : "Fit to window");
    this.$(".screen-fullscreen").textContent = document.fullscreenElement === this.root ? "Leave full screen" : "Full screen";
    this.showMonitors();
    if (!control && document.activeElement === this.$(".screen-keys")) this.$(".screen-keys").blur();
  }

  showMonitors() {
    const select = this.$(".screen-monitor");
    const { monitors, selected } = this.share;
    const options = [new Option("All monitors", "0")];
    for (const monitor of monitors) {
      const label = `${monitor.index}${monitor.primary ? " (main)" : ""} · ${monitor.width}×${monitor.height}`;
      options.push(new Option(label, String(monitor.index)));
    }
    const wanted = options.map((option) => option.text).join("|");
    if (select.dataset.options !== wanted) {
      select.replaceChildren(...options);
      select.dataset.options = wanted;
    }
    select.value = String(selected);
    this.$(".screen-monitor-field").hidden = monitors.length < 2;
  }

  showKeyboard(on) {
    this.stage.classList.toggle("has-keyboard", on && this.share.control);
  }

  showError(text) {
    this.$(".screen-error").textContent = text;
    this.$(".screen-error").hidden = !text;
  }

  // -- sizes ------------------------------------------------------------------------

  /** Fit: the whole picture in the stage, aspect kept. 1:1: picture pixels, scrolled. */
  layout() {
    const format = this.painter.format;
    if (!format) return;
    let scale = 1;
    if (this.fit) {
      const room = this.stage.getBoundingClientRect();
      scale = Math.min(room.width / format.width, room.height / format.height);
      if (!(scale > 0)) scale = 1;
    }
    const box = this.$(".screen-picture");
    box.style.width = `${Math.floor(format.width * scale)}px`;
    box.style.height = `${Math.floor(format.height * scale)}px`;
    this.stage.classList.toggle("actual-size", !this.fit);
  }

  // -- the sink: what ScreenShare passes on ----------------------------------------------

  format(message) {
    this.showError("");
    this.painter.configure(message);
    this.overlay.width = message.width;
    this.overlay.height = message.height;
    this.drawCursor();
    this.layout();
  }

  picture(message) {
    this.stats.received(message, message.kind === "video" ? message.data.length : sharpBytes(message), performance.now());
    this.painter.add(message);
  }

  onDrawn(message, painted) {
    const now = performance.now();
    if (painted) this.stats.drawn(message, this.painter.decodeMs, now);
    if (painted && message.key) this.showError(""); // a lost picture is back
    this.stats.ackSent(message.seq, now);
    this.share.ack(message.seq);
    this.$(".screen-stats").textContent = this.statsText();
    this.dispatchEvent(new CustomEvent("picture", { detail: { seq: message.seq, rects: message.rects, drawnAt: now, painted } }));
  }

  statsText() {
    const { fps, kbps, delay } = this.stats;
    const format = this.painter.format;
    const size = format ? `${format.width}×${format.height}` : "—";
    return `${fps} fps · ${kbps} kbit/s · ${delay} ms · ${size} · ${shown(format?.codec ?? "", { singleLine: true })}`;
  }

  async cursorShape({ shape, width, height, hotX, hotY, rgba }) {
    if (this.shapes.size >= MAX_CURSOR_SHAPES && !this.shapes.has(shape)) {
      for (const old of this.shapes.values()) old.bitmap.close();
      this.shapes.clear();
    }
    const image = new ImageData(new Uint8ClampedArray(rgba), width, height);
    const bitmap = await createImageBitmap(image);
    this.shapes.get(shape)?.bitmap.close();
    this.shapes.set(shape, { bitmap, hotX, hotY });
    this.drawCursor();
  }

  cursor(message) {
    this.pointer = message;
    this.drawCursor();
  }

  /** The customer's pointer on its own canvas over the picture, never in it. */
  drawCursor() {
    const context = this.overlay.getContext("2d");
    context.clearRect(0, 0, this.overlay.width, this.overlay.height);
    const pointer = this.pointer;
    const shape = pointer && this.shapes.get(pointer.shape);
    if (!pointer?.visible || !shape) return;
    context.drawImage(shape.bitmap, pointer.x - shape.hotX, pointer.y - shape.hotY);
  }

  /** Viewing ended: the decoder goes, the last picture stays hidden. */
  stopped() {
    this.painter.close();
    this.pointer = null;
    this.drawCursor();
    if (document.fullscreenElement === this.root) document.exitFullscreen().catch(() => {});
  }

  close() {
    this.stopped();
    for (const { bitmap } of this.shapes.values()) bitmap.close();
    this.shapes.clear();
    this.update();
  }

  forget() {
    screens.delete(this.session.id);
  }
}

function sharpBytes(message) {
  return message.images.reduce((sum, image) => sum + image.data.length, 0);
}
