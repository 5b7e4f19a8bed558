// The live queue: `wss://<site>/live/queue/` pushes
// {"type": "queue", "sessions": [Session]} whenever the technician's queues
// change, and once on connect (docs/sessions.md). No polling: when the socket
// drops it is opened again with backoff (1 s doubling to 30 s, jittered).

const LOGGED_OUT = 4401;
const NOT_A_TECHNICIAN = 4403;

export class LiveQueue {
  /** `onQueue(sessions)`; `onState(state)` with "connecting", "live",
   * "reconnecting", "logged-out" or "refused". */
  constructor({ onQueue, onState, url = liveUrl("/live/queue/"), WebSocketImpl = globalThis.WebSocket }) {
    Object.assign(this, { onQueue, onState, url, WebSocketImpl });
    this.delay = 1000;
    this.socket = null;
    this.timer = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.onState("connecting");
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000);
  }

  /** Connect now instead of waiting for the backoff (the network is back). */
  kick() {
    if (this.timer === null || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.open();
  }

  open() {
    const socket = new this.WebSocketImpl(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.delay = 1000;
      this.onState("live");
    });
    socket.addEventListener("message", (event) => this.onMessage(event.data));
    socket.addEventListener("close", (event) => this.onClose(event.code));
  }

  onMessage(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message?.type === "queue" && Array.isArray(message.sessions)) this.onQueue(message.sessions);
  }

  onClose(code) {
    this.socket = null;
    if (this.stopped) return;
    if (code === LOGGED_OUT) return this.onState("logged-out");
    if (code === NOT_A_TECHNICIAN) return this.onState("refused");
    this.onState("reconnecting");
    const wait = this.delay * (0.5 + Math.random() / 2);
    this.delay = Math.min(this.delay * 2, 30_000);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open();
    }, wait);
  }
}

/** A same-origin WebSocket URL for `path`. */
export function liveUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === "http:" ? "ws:" : "wss:";
  return url.toString();
}
