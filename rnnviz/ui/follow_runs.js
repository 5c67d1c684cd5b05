// The Training page follows its runs from the browser (rnnviz.ui.train_live). The page draws
// this component twice, both hidden:
//   role "page"  outside the live part: its trigger reruns the whole page
//   role "poll"  in the live part (a fragment): its trigger reruns that part, a poll
//
// While runs train (or wait for a slot), a poll is asked for data.interval ms after the last
// one at the earliest (the server's choice: longer while its runs only wait), once the last
// one has drawn the poll element again (data.drawn, when the server drew it, has changed), no
// script run is going, the page is connected and the poll element is not stale. So polls
// never pile up behind a slow one, and none is sent while a run of the whole page may still
// be stopped: a poll coming in behind Streamlit's own Stop would draw the live part into a
// page that run has emptied, and the app breaks.
//
// The whole page is asked for instead, once for each poll element lost (a Stop of that run
// too is the student's last word), when:
// - the poll element is off the page, no run is going and the page is still this one:
//   Streamlit's own Stop (top right) ended a run of the whole page before it drew the live
//   part again, and the page took the live part off;
// - UNANSWERED polls in a row, UNANSWERED_MS apart, drew nothing: the server no longer knows
//   the live part (a new session after a restart).
//
// No poll is asked for within QUIET_MS of the student's last input, nor while input waits to
// be handled: Streamlit sends the widget changes of one moment as one message, scoped to the
// first fragment among them, so a click landing beside a poll reran the live part alone and
// was lost (a button outside it, a link to another page: the page was left blank).
//
// `follow.record` keeps what the page did last (RECORDED entries [performance.now(), what]:
// each change of what it does or waits for, a poll drawn, a pause of the checks longer than
// STALL_MS), which a failed browser test prints.
const CHECK_MS = 100;  // how often the page's state is looked at
const QUIET_MS = 600;
const UNANSWERED = 3;
const UNANSWERED_MS = 3000;
const RECORDED = 40;
const STALL_MS = 1000;

const follow = {
  pageTrigger: null,  // the page instance's setTriggerValue
  pollTrigger: null,  // the poll instance's setTriggerValue
  poll: null,         // the poll element last drawn
  drawn: null,        // its data.drawn
  path: null,         // the page it was drawn on
  on: false,          // runs are training
  interval: 500,
  lastAsk: -Infinity,
  answered: true,     // the poll element was drawn again since the last poll asked for
  unanswered: 0,      // polls asked for in a row that drew nothing
  recovered: null,    // the data.drawn of the poll element the whole page was asked for
  timer: null,
  lastInput: -Infinity,  // when the student last pressed, typed or clicked
  lastCheck: null,
  record: [],
};

window.rnnvizFollowRuns = follow;  // the browser tests make a poll land beside a click

for (const kind of ["pointerdown", "pointerup", "click", "keydown", "input", "change"]) {
  document.addEventListener(kind, () => { follow.lastInput = performance.now(); }, true);
}

// The student is acting, or has just acted: a poll now could swallow what they did.
function studentBusy() {
  if (performance.now() - follow.lastInput < QUIET_MS) return true;
  const scheduling = navigator.scheduling;
  return Boolean(scheduling && scheduling.isInputPending && scheduling.isInputPending());
}

// No script run going (or Streamlit does not say) and the page connected to its server.
function idle() {
  const app = document.querySelector('[data-testid="stApp"]');
  if (app === null) return false;
  const run = app.getAttribute("data-test-script-state");
  const connection = app.getAttribute("data-test-connection-state");
  return (run === null || run === "notRunning")
    && (connection === null || connection === "CONNECTED");
}

function note(what) {
  const last = follow.record[follow.record.length - 1];
  if (last !== undefined && last[1] === what) return;
  follow.record.push([Math.round(performance.now()), what]);
  if (follow.record.length > RECORDED) follow.record.shift();
}

function askPage() {
  follow.recovered = follow.drawn;
  if (follow.pageTrigger !== null) follow.pageTrigger("lost");
}

function askPoll() {
  follow.lastAsk = performance.now();
  follow.answered = false;
  follow.pollTrigger("poll");
}

// What the page does now, or what it waits for, in words.
function step() {
  if (studentBusy()) return "student busy";  // asked again CHECK_MS later
  if (!follow.poll.isConnected) {
    if (follow.recovered === follow.drawn) return "live part gone, page asked for";
    askPage();
    return "live part gone: asks for the page";
  }
  if (!follow.on) return "nothing training";
  // stale: drawn by an earlier run than the last one, which may be about to take it off
  if (follow.poll.closest('[data-stale="true"]') !== null) return "poll element stale";
  const since = performance.now() - follow.lastAsk;
  if (follow.answered) {
    if (since < follow.interval) return "answered, waits for the interval";
    askPoll();
    return "asks for a poll";
  }
  if (since < UNANSWERED_MS) return "waits for the answer";
  follow.unanswered += 1;
  if (follow.unanswered < UNANSWERED) {
    askPoll();
    return "unanswered: asks again";
  }
  if (follow.recovered === follow.drawn) return "unanswered, page asked for";
  askPage();
  return "unanswered: asks for the page";
}

function check() {
  const now = performance.now();
  if (follow.lastCheck !== null && now - follow.lastCheck > STALL_MS) {
    note(`checks paused ${Math.round(now - follow.lastCheck)} ms`);
  }
  follow.lastCheck = now;
  follow.timer = null;
  if (window.location.pathname !== follow.path) {  // another page: nothing to follow
    note("another page");
    follow.lastCheck = null;
    return;
  }
  note(idle() ? step() : "script running or not connected");
  follow.timer = setTimeout(check, CHECK_MS);
}

export default function ({ data, parentElement, setTriggerValue }) {
  if (data.role === "page") {
    follow.pageTrigger = setTriggerValue;
    return;
  }
  // an element of an earlier run drawn again after the newest (its stale instance, still on
  // the page while the new one mounts) must not undo what the newest said
  if (follow.drawn !== null && data.drawn < follow.drawn
      && window.location.pathname === follow.path) {
    note(`an earlier poll element drawn again: ignored`);
    return;
  }
  if (data.drawn !== follow.drawn) {
    follow.answered = true;
    follow.unanswered = 0;
    note(`poll element drawn: ${data.on ? "training" : "nothing training"}`);
  }
  follow.drawn = data.drawn;
  follow.poll = parentElement;
  follow.pollTrigger = setTriggerValue;
  follow.path = window.location.pathname;
  follow.on = data.on;
  follow.interval = data.interval;
  if (follow.timer === null) follow.timer = setTimeout(check, CHECK_MS);
}
