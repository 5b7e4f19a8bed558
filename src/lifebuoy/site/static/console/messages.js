// Channel messages as the technician sees them (docs/sessions.md, "Messages
// inside the channel"): the customer's messages read strictly, ours built.
//
// Each message is one UTF-8 JSON object with a type `t`. Anything that is not
// a JSON object, or a known type with fields of the wrong type or size, throws
// MessageError and ends the session; an unknown type comes back as
// {t: "unknown"} for the caller to log and ignore. Our own sending-only types
// (hold, transfer) coming from the customer are unknown too.

export const MAX_MESSAGE_BYTES = 64 << 10;
export const CHAT_CHARS = 10_000;
export const NAME_CHARS = 120;
export const HOST_CHARS = 255;
export const REASON_CHARS = 200;
export const NOTE_CHARS = 1000;
export const TARGET_CHARS = 254;
export const WORD_CHARS = 40;
export const MAX_SIDE = 0xffff;
export const MAX_MONITORS = 16;

/** Close code of a session ended because the peer broke the message rules. */
export const VIOLATION_CODE = 1000;

const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const CODEC = /^[A-Za-z0-9.]{1,64}$/;
const ACTIONS = new Set(["view", "control"]);
const TYPE_SHOWN = 32;
const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

export class MessageError extends Error {
  constructor(message) {
    super(message);
    this.name = "MessageError";
  }
}

/** Read one message from the customer: a plain object with a known `t`. */
export function parseMessage(data) {
  const body = readObject(data);
  const kind = body.t;
  if (typeof kind !== "string") throw new MessageError("a message without a type");

  switch (kind) {
    case "hello":
      return {
        t: "hello",
        hostname: text(body, "hostname", HOST_CHARS, ""),
        os: text(body, "os", HOST_CHARS, ""),
        user: text(body, "user", NAME_CHARS, ""),
      };
    case "chat":
      return { t: "chat", id: id(body), text: text(body, "text", CHAT_CHARS), at: text(body, "at", 40, "") };
    case "delivered":
      return { t: "delivered", id: id(body) };
    case "end":
      return { t: "end", reason: text(body, "reason", REASON_CHARS, "") };
    case "answer":
      return {
        t: "answer", id: id(body), what: action(body), allowed: flag(body, "allowed"),
        reason: text(body, "reason", WORD_CHARS, ""),
      };
    case "screen.state":
      return { t: "screen.state", view: flag(body, "view"), control: flag(body, "control"), by: text(body, "by", WORD_CHARS, "") };
    case "screen.monitors":
      return screenMonitors(body);
    case "screen.format":
      return {
        t: "screen.format", codec: codec(body), width: count(body, "width", 1, MAX_SIDE),
        height: count(body, "height", 1, MAX_SIDE), monitor: count(body, "monitor", 0, MAX_MONITORS, 0),
      };
    case "cursor":
      return {
        t: "cursor", x: count(body, "x", -MAX_SIDE, MAX_SIDE), y: count(body, "y", -MAX_SIDE, MAX_SIDE),
        shape: count(body, "shape", 0, 0xffff_ffff), visible: flag(body, "visible"),
      };
    case "refused":
      return { t: "refused", what: text(body, "what", WORD_CHARS, ""), reason: text(body, "reason", REASON_CHARS, "") };
    default:
      return { t: "unknown", type: kind.slice(0, TYPE_SHOWN) };
  }
}

function readObject(data) {
  if (data.length > MAX_MESSAGE_BYTES) {
    throw new MessageError(`a message of ${data.length} bytes, more than allowed`);
  }
  let body;
  try {
    body = JSON.parse(decoder.decode(data));
  } catch {
    throw new MessageError("a message that is not JSON");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new MessageError("a message that is not a JSON object");
  }
  return body;
}

function text(body, name, longest, fallback) {
  const value = Object.hasOwn(body, name) ? body[name] : fallback;
  if (typeof value !== "string" || value.length > longest) {
    throw new MessageError(`${body.t}: '${name}' must be text of at most ${longest}`);
  }
  return value;
}

function id(body) {
  const value = body.id;
  if (typeof value !== "string" || !ID.test(value)) throw new MessageError(`${body.t}: 'id' is not a valid id`);
  return value;
}

function flag(body, name) {
  if (typeof body[name] !== "boolean") throw new MessageError(`${body.t}: '${name}' must be true or false`);
  return body[name];
}

function count(body, name, least, most, fallback) {
  const value = Object.hasOwn(body, name) || fallback === undefined ? body[name] : fallback;
  if (!Number.isInteger(value) || value < least || value > most) {
    throw new MessageError(`${body.t}: '${name}' must be a whole number from ${least} to ${most}`);
  }
  return value;
}

function action(body) {
  if (!ACTIONS.has(body.what)) throw new MessageError(`${body.t}: 'what' must be view or control`);
  return body.what;
}

function codec(body) {
  if (typeof body.codec !== "string" || !CODEC.test(body.codec)) throw new MessageError(`${body.t}: 'codec' is not a codec string`);
  return body.codec;
}

function screenMonitors(body) {
  const list = body.monitors;
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_MONITORS) {
    throw new MessageError(`${body.t}: 'monitors' must list 1 to ${MAX_MONITORS} monitors`);
  }
  const monitors = list.map((item, at) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) throw new MessageError(`${body.t}: monitor ${at} is not an object`);
    const monitor = { t: body.t, ...item };
    return {
      index: count(monitor, "index", 1, MAX_MONITORS), x: count(monitor, "x", -MAX_SIDE, MAX_SIDE),
      y: count(monitor, "y", -MAX_SIDE, MAX_SIDE), width: count(monitor, "width", 1, MAX_SIDE),
      height: count(monitor, "height", 1, MAX_SIDE), primary: flag(monitor, "primary"),
    };
  });
  return { t: "screen.monitors", monitors, selected: count(body, "selected", 0, monitors.length) };
}

// -- ours ---------------------------------------------------------------------

/** One message as channel bytes. */
export function encodeMessage(message) {
  return encoder.encode(JSON.stringify(message));
}

export const helloMessage = (name) => ({ t: "hello", name: name.slice(0, NAME_CHARS) });

export function chatMessage(line, { id = globalThis.crypto.randomUUID(), at = new Date() } = {}) {
  if (typeof line !== "string" || !line.trim()) throw new MessageError("an empty chat line");
  if (line.length > CHAT_CHARS) throw new MessageError(`a chat line longer than ${CHAT_CHARS} characters`);
  return { t: "chat", id, text: line, at: at.toISOString() };
}

export const deliveredMessage = (chatId) => ({ t: "delivered", id: chatId });
export const holdMessage = (on) => ({ t: "hold", on: Boolean(on) });

export const transferMessage = (to, note) => ({
  t: "transfer", to: String(to).slice(0, TARGET_CHARS), note: String(note).slice(0, NOTE_CHARS),
});

export const endMessage = (reason) => ({ t: "end", reason: String(reason).slice(0, REASON_CHARS) });

// -- showing text from elsewhere ------------------------------------------------

const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const CONTROL_OR_BREAK = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text from a customer's machine made safe to show (it is always set as
 * textContent; this only removes bidi overrides and control characters, which
 * could make a name read as something else). `singleLine` turns breaks into spaces.
 */
export function shown(value, { singleLine = false } = {}) {
  let out = String(value ?? "").replace(BIDI, "\ufffd");
  if (singleLine) out = out.replace(/[\n\t]/g, " ").replace(CONTROL_OR_BREAK, "\ufffd");
  else out = out.replace(CONTROL, "\ufffd");
  return out;
}
