// The Training page follows its runs from the browser (rnnviz.ui.train_live). The page draws
// this component twice, both hidden:
//   role "page"  outside the live part: its trigger reruns the whole page
//   role "poll"  in the live part (a fragment): its trigger reruns that part, a poll
//
// While runs train, a poll is asked for every data.interval ms, and only while no script run
// is going and the page is connected: polls never pile up behind a slow one, and none is sent
// while a run of the whole page may still be stopped (a poll coming in behind Streamlit's own
// Stop would draw the live part into a page that run has emptied, and the app breaks).
//
// The whole page is asked for instead, once for each poll element lost (a Stop of that run
// too is the student's last word), when:
// - the poll element is off the page, no run is going and the page is still this one:
//   Streamlit's own Stop (top right) ended a run of the whole page before it drew the live
//   part again, and the page took the live part off;
// - polls asked for draw nothing (data.drawn, when the server drew the poll element, stays
//   put): the server no longer knows the live part (a new session after a restart).
const CHECK_MS = 100;  // how often the page's state is looked at
const UNANSWERED = 3;  // polls asked for without a poll drawn before the whole page is

const follow = {
  rerunPage: null,    // the page instance's trigger
  askPoll: null,      // the poll instance's trigger
  poll: null,         // the poll element last drawn
  drawn: -1,          // its data.drawn
  path: null,         // the page it was drawn on
  on: false,          // runs are training
  interval: 500,
  lastAsk: -Infinity,
  unanswered: 0,      // polls asked for since a poll element was last drawn
  recovered: null,    // the data.drawn of the poll element the whole page was asked for in place of
  timer: null,
};

// No script run going (or Streamlit does not say) and the page connected to its server.
function idle() {
  const app = document.querySelector('[data-testid="stApp"]');
  if (app === null) return false;
  const run = app.getAttribute("data-test-script-state");
  const connection = app.getAttribute("data-test-connection-state");
  return (run === null || run === "notRunning")
    && (connection === null || connection === "CONNECTED");
}

function askPage() {
  follow.recovered = follow.drawn;
  if (follow.rerunPage !== null) follow.rerunPage("lost");
}

function check() {
  follow.timer = null;
  if (window.location.pathname !== follow.path) return;  // another page: nothing to follow
  const recovered = follow.recovered === follow.drawn;
  if (!follow.poll.isConnected) {
    if (!recovered && idle()) askPage();
  } else if (follow.on && idle() && performance.now() - follow.lastAsk >= follow.interval) {
    if (follow.unanswered >= UNANSWERED) {
      if (!recovered) askPage();
    } else {
      follow.lastAsk = performance.now();
      follow.unanswered += 1;
      follow.askPoll("poll");
    }
  }
  follow.timer = setTimeout(check, CHECK_MS);
}

export default function ({ data, parentElement, setTriggerValue }) {
  if (data.role === "page") {
    follow.rerunPage = setTriggerValue;
    return;
  }
  if (data.drawn !== follow.drawn) follow.unanswered = 0;
  follow.drawn = data.drawn;
  follow.poll = parentElement;
  follow.askPoll = setTriggerValue;
  follow.path = window.location.pathname;
  follow.on = data.on;
  follow.interval = data.interval;
  if (follow.timer === null) follow.timer = setTimeout(check, CHECK_MS);
}
