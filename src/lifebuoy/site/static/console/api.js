// The site's support API (docs/sessions.md, "Site API"), for the console.
//
// Same origin, the web session cookie, and the CSRF token from
// <meta name="csrf-token"> sent as X-CSRFToken. Refusals come back as
// ApiError with the site's message; an unreachable site is an ApiError with
// status 0, which `retryable` tells apart from refusals.

export class ApiError extends Error {
  constructor(message, status, retryAfter = 0) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.retryAfter = retryAfter;
  }

  /** Asking again later may help: no answer, a server error, or too many. */
  get retryable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

/** One request; the answer's JSON, or ApiError. */
export async function request(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.headers["X-CSRFToken"] = csrfToken();
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError("The site cannot be reached.", 0);
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const retryAfter = Number(response.headers.get("Retry-After")) || 0;
    throw new ApiError(answer.error || `The site answered ${response.status}.`, response.status, retryAfter);
  }
  return answer;
}

/** Retry a request while the site is unreachable or busy (backoff to 15 s). */
export async function persistently(call, { attempts = 8, onRetry = () => {} } = {}) {
  let delay = 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ApiError) || !error.retryable || attempt >= attempts) throw error;
      onRetry(error, attempt);
      await sleep(Math.max(delay, error.retryAfter * 1000));
      delay = Math.min(delay * 2, 15_000);
    }
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const session = (id) => `/api/v1/sessions/${encodeURIComponent(id)}`;

export const api = {
  newPin: () => request("POST", "/api/v1/pins", {}),
  queue: () => request("GET", "/api/v1/queue"),
  pickup: (id, publicKey) => request("POST", `${session(id)}/pickup`, { public_key: publicKey }),
  ticket: (id) => request("POST", `${session(id)}/ticket`, {}),
  hold: (id, onHold) => request("POST", `${session(id)}/hold`, { on_hold: onHold }),
  transfer: (id, { technician = null, group = null, note = "" }) =>
    request("POST", `${session(id)}/transfer`, { technician, group, note }),
  close: (id, reason) => request("POST", `${session(id)}/close`, { reason }),
  log: (id) => request("GET", `${session(id)}/log`),

  /** For the outbox: {status, retryAfter}; rejects only when unreachable. */
  async postEvents(id, events) {
    try {
      await request("POST", `${session(id)}/events`, { events });
      return { status: 200 };
    } catch (error) {
      if (error.status === 0) throw error;
      return { status: error.status, retryAfter: error.retryAfter };
    }
  },
};
