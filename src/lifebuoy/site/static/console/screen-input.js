// The technician's mouse and keyboard on the customer's picture, as the
// contract's input messages (docs/screen.md). Nothing is sent unless
// `active()` says control is granted; `send` drops it otherwise too.
//
// The keyboard goes to the customer only while the hidden text box `keys`
// has focus (a click on the picture gives it focus). Ctrl+Alt+Shift, or
// leaving the box with the mouse, gives the keyboard back; losing focus
// sends `release`, so no key stays held on the customer's machine.

import {
  KeyMapper, WheelNotches, buttonMessage, contractButton, isReleaseChord, moveMessage,
  picturePoint, releaseMessage, textMessage, wheelMessage,
} from "./screen-protocol.js";

export class ScreenInput {
  constructor({ surface, keys, size, active, send, onRelease }) {
    Object.assign(this, { surface, keys, size, active, send, onRelease });
    this.mapper = new KeyMapper();
    this.wheel = new WheelNotches();
    this.pendingMove = null;
    this.frame = 0;
    this.listen();
  }

  listen() {
    const on = (target, type, handler, options) => target.addEventListener(type, handler.bind(this), options);
    on(this.surface, "pointerdown", this.onPointerDown);
    on(this.surface, "pointermove", this.onPointerMove);
    on(this.surface, "pointerup", this.onPointerUp);
    on(this.surface, "wheel", this.onWheel, { passive: false });
    on(this.surface, "contextmenu", (event) => event.preventDefault());
    on(this.keys, "keydown", this.onKeyDown);
    on(this.keys, "keyup", this.onKeyUp);
    on(this.keys, "beforeinput", this.onBeforeInput);
    on(this.keys, "compositionend", this.onCompositionEnd);
    on(this.keys, "blur", this.release);
  }

  point(event) {
    const size = this.size();
    return size && picturePoint(event.clientX, event.clientY, this.surface.getBoundingClientRect(), size);
  }

  // -- the mouse --------------------------------------------------------------

  onPointerDown(event) {
    this.keys.focus({ preventScroll: true });
    const button = contractButton(event.button);
    if (!this.active() || button === null || !this.size()) return;
    event.preventDefault(); // no text selection, no middle-button scrolling
    this.surface.setPointerCapture(event.pointerId);
    this.pendingMove = null; // the button message carries the position
    this.send(buttonMessage(this.point(event), button, true));
  }

  onPointerUp(event) {
    const button = contractButton(event.button);
    if (!this.active() || button === null || !this.size()) return;
    this.send(buttonMessage(this.point(event), button, false));
  }

  /** At most one mouse.move per animation frame: the newest position. */
  onPointerMove(event) {
    if (!this.active() || !this.size()) return;
    this.pendingMove = this.point(event);
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.pendingMove && this.active()) this.send(moveMessage(this.pendingMove));
      this.pendingMove = null;
    });
  }

  onWheel(event) {
    if (!this.active() || !this.size()) return;
    event.preventDefault();
    const notches = this.wheel.add(event);
    if (notches) this.send(wheelMessage(this.point(event), notches.dx, notches.dy));
  }

  // -- the keyboard ----------------------------------------------------------------

  onKeyDown(event) {
    if (!this.active()) return;
    if (isReleaseChord(event)) {
      event.preventDefault();
      this.keys.blur();
      return;
    }
    const message = this.mapper.keyDown(modifiers(event));
    if (message === null) return; // composition or a dead key: text input follows
    event.preventDefault();
    this.send(message);
  }

  onKeyUp(event) {
    if (!this.active()) return;
    const message = this.mapper.keyUp(event);
    if (message !== null) {
      event.preventDefault();
      this.send(message);
    }
  }

  /** Characters that came without a usable keydown: IME, dead keys, pasted text. */
  onBeforeInput(event) {
    if (event.isComposing || event.inputType === "insertCompositionText") return;
    event.preventDefault();
    if (!this.active()) return;
    // Enter and Backspace went as keys already; only characters are typed here.
    const text = event.data ?? event.dataTransfer?.getData("text/plain");
    if (text && (event.inputType === "insertText" || event.inputType === "insertFromPaste")) {
      this.send(textMessage(text));
    }
  }

  onCompositionEnd(event) {
    const text = event.data;
    this.keys.value = "";
    if (this.active() && text) this.send(textMessage(text));
  }

  /** Focus left the picture: let go of every key and button. */
  release() {
    this.keys.value = "";
    this.mapper.reset();
    this.wheel = new WheelNotches();
    if (this.active()) this.send(releaseMessage());
    this.onRelease();
  }
}

/** The event's fields the mapper reads, with AltGr known. */
function modifiers(event) {
  return {
    key: event.key, code: event.code, isComposing: event.isComposing,
    ctrlKey: event.ctrlKey, altKey: event.altKey, metaKey: event.metaKey,
    altGraph: event.getModifierState?.("AltGraph") ?? false,
  };
}
