// Leaves the page as soon as the server says this web session has ended.
const url = new URL("/live/session/", window.location.href);
url.protocol = "wss:";
let retry = 1000;

function watch() {
  const socket = new WebSocket(url);
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "ended") {
      window.location.assign("/accounts/login/?reason=" + encodeURIComponent(message.reason));
    }
  });
  socket.addEventListener("close", (event) => {
    if (event.code === 4401) {
      window.location.assign("/accounts/login/?reason=ended");
      return;
    }
    if (event.code !== 4001) {
      setTimeout(watch, retry);
      retry = Math.min(retry * 2, 30000);
    }
  });
  socket.addEventListener("open", () => { retry = 1000; });
}

watch();
