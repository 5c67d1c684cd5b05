"""The browser's follower of the Training page's runs (rnnviz/ui/follow_runs.js), as a module
in Chromium: what it does with the poll elements it is given."""

from pathlib import Path

SOURCE = (Path(__file__).resolve().parents[2] / "rnnviz" / "ui" / "follow_runs.js").read_text()

# drawn: when the server drew each element (time in ns); 2000 after 1000
GIVE = """async ([source, elements]) => {
  const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
  const follower = (await import(url)).default;
  for (const data of elements) {
    follower({data, parentElement: document.body, setTriggerValue: () => {}});
  }
  const f = window.rnnvizFollowRuns;
  return {on: f.on, drawn: f.drawn, interval: f.interval};
}"""


def poll(on: bool, drawn: int, interval: int = 500) -> dict:
    return {"role": "poll", "on": on, "interval": interval, "drawn": drawn}


def test_an_earlier_runs_poll_element_drawn_again_does_not_stop_the_polls(page):
    """Seen in CI: the Train run's element (training) and then the first run's stale one
    (nothing training) were handed over in one moment, and the page stopped polling a run
    that was training."""
    page.set_content("<html><body></body></html>")
    state = page.evaluate(GIVE, [SOURCE, [poll(False, 1000), poll(True, 2000, 250),
                                          poll(False, 1000)]])
    assert state == {"on": True, "drawn": 2000, "interval": 250}


def test_a_newer_poll_element_is_followed(page):
    page.set_content("<html><body></body></html>")
    state = page.evaluate(GIVE, [SOURCE, [poll(True, 1000), poll(False, 3000, 2000)]])
    assert state == {"on": False, "drawn": 3000, "interval": 2000}
