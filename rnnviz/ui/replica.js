// Behind nginx (deploy/), a page whose websocket reconnected to another replica asks for a
// run of the whole page (rnnviz.ui.replica). Streamlit's page reconnects by itself when its
// replica stops, but asks the new one for nothing: it would show the old page, which no
// longer answers, until the student clicks. nginx names in a cookie the replica that took
// the websocket; the component knows the replica that drew the page.
const CHECK_MS = 1000;  // a cookie read a second: nothing sent, nothing drawn

const watch = { cookie: null, drawnBy: null, trigger: null, timer: null };

function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
  return found === undefined ? null : found.slice(name.length + 1);
}

function connected() {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null && app.getAttribute("data-test-connection-state") === "CONNECTED";
}

function check() {
  const now = cookie(watch.cookie);
  if (now !== null && now !== watch.drawnBy && connected()) {
    watch.drawnBy = now;  // asked once; the new replica's run says so again
    watch.trigger("moved");
  }
}

export default function ({ data, setTriggerValue }) {
  watch.cookie = data.cookie;
  watch.drawnBy = data.replica;
  watch.trigger = setTriggerValue;
  if (watch.timer === null) watch.timer = setInterval(check, CHECK_MS);
}
