// Play / Pause for the timestep player, kept in the browser so that no click is lost and a
// frame is asked for only once the last one has been drawn.
//
// Two state values go to the server, both counters that only grow, so presses that come
// faster than the server reruns are never merged away:
//   request = {seq, on}  the seq-th click of Play or Pause in this tab, and what it asked for
//   ticks                frames asked for so far (the server moves t by one per tick)
// The server sends back what it has seen (data.seq, data.ticks) and whether it is playing
// (it stops at t = T_x). While a click is on its way (data.seq < seq) the button shows the
// click's side; once the server has seen it, the server's word holds.
//
// The player renders this button at the end of its rerun, after the charts: so a render that
// shows the last tick seen means that frame has been sent to the page, and the next tick is
// asked for data.interval ms after the last one at the earliest, after the browser has painted.
const players = new Map();

export default function ({ data, parentElement, setStateValue }) {
  let p = players.get(data.name);
  if (p === undefined) {
    p = { seq: 0, on: false, ticks: 0, lastTick: 0, timer: null };
    players.set(data.name, p);
  }
  if (data.seq >= p.seq) {  // the server has seen every click: its word holds
    p.seq = data.seq;
    p.on = data.playing;
  }
  p.ticks = Math.max(p.ticks, data.ticks);

  const button = parentElement.querySelector("button");
  const draw = () => {
    const look = p.on ? data.pause : data.play;
    button.innerHTML = look.icon + "<span></span>";
    button.querySelector("span").textContent = look.label;
    button.disabled = data.disabled && !p.on;
    button.title = `${look.label}: ${look.help}`;
    button.setAttribute("aria-label", look.label);
  };
  const stopTimer = () => {
    clearTimeout(p.timer);
    p.timer = null;
  };
  draw();
  button.onclick = () => {
    stopTimer();
    p.seq += 1;
    p.on = !p.on;
    draw();
    setStateValue("request", { seq: p.seq, on: p.on });
  };

  stopTimer();
  if (p.on && data.playing && data.seq === p.seq && data.ticks === p.ticks) {
    const wait = Math.max(0, p.lastTick + data.interval - performance.now());
    p.timer = setTimeout(() => requestAnimationFrame(() => {
      p.timer = null;
      if (!p.on) return;
      p.ticks += 1;
      p.lastTick = performance.now();
      setStateValue("ticks", p.ticks);
    }), wait);
  }
  return stopTimer;
}
