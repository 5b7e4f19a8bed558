// "New PIN": ask the site for a PIN and show its six digits, large, with the
// time it expires and a button to copy it.

import { api } from "./api.js";
import { clockTime, grouped } from "./format.js";

export function setUpPinPanel() {
  const button = document.getElementById("new-pin");
  const result = document.getElementById("pin-result");
  const digits = document.getElementById("pin-digits");
  const expiry = document.getElementById("pin-expiry");
  const error = document.getElementById("pin-error");
  const copied = document.getElementById("pin-copied");
  let expiryTimer = null;

  button.addEventListener("click", async () => {
    button.disabled = true;
    error.hidden = true;
    try {
      const pin = await api.newPin();
      digits.textContent = grouped(pin.pin);
      digits.dataset.pin = pin.pin;
      const expires = new Date(pin.expires_at);
      expiry.textContent = `Give it to the customer on the phone. It works once, until ${clockTime(expires)}.`;
      copied.textContent = "";
      result.hidden = false;
      clearTimeout(expiryTimer);
      expiryTimer = setTimeout(() => {
        expiry.textContent = "This PIN has expired. Ask for a new one.";
        digits.classList.add("expired");
      }, Math.max(0, expires - new Date()));
      digits.classList.remove("expired");
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });

  document.getElementById("pin-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(digits.dataset.pin);
      copied.textContent = "Copied.";
    } catch {
      window.getSelection().selectAllChildren(digits);
      copied.textContent = "Selected: press Ctrl+C to copy.";
    }
  });
}
