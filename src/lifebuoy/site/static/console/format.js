// Times and waits as the console shows them.

/** "45 s", "3 min 05 s", "1 h 02 min": how long since `since` (a Date). */
export function waited(since, now = new Date()) {
  const seconds = Math.max(0, Math.floor((now - since) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** "14:05" in the technician's time zone. */
export const clockTime = (date) =>
  date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** "123 456": six digits in two groups, easier to read out. */
export const grouped = (digits) => `${digits.slice(0, 3)} ${digits.slice(3)}`;

/** A new element; `text` is set as textContent, never parsed as HTML. */
export function el(tag, { className, text, attrs } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** A copy of a <template>'s first element. */
export const fromTemplate = (id) => document.getElementById(id).content.firstElementChild.cloneNode(true);
