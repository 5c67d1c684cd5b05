// A ◀ or ▶ button that counts its presses in the browser: each press sends the count so
// far, so presses that come faster than the server reruns are never lost (the server adds
// the difference to t). The count lives as long as the tab, across reruns, pages and new
// mounts of the button (each mount gets a new `key` of its own, so the button's name comes
// in `data.name`).
const counts = new Map();

export default function ({ data, parentElement, setStateValue }) {
  const button = parentElement.querySelector("button");
  button.innerHTML = data.icon;
  button.disabled = data.disabled;
  button.title = data.help;
  button.setAttribute("aria-label", data.help);
  button.onclick = () => {
    const count = (counts.get(data.name) ?? 0) + 1;
    counts.set(data.name, count);
    setStateValue("presses", count);
  };
}
