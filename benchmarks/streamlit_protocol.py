"""A browser tab without the browser: one Streamlit session spoken to over its websocket.

`Tab` opens `/_stcore/stream` as the browser does and sends the `BackMsg`s a browser sends
(streamlit.proto), built the way Streamlit 1.67's frontend builds them (checked against
what Chromium sends in tests/browser/test_protocol_client.py):

- every rerun carries the state of every widget on the page: a widget's value as the
  browser keeps it, which is its default (or the value the server set) until the user moves
  it, dropped once a finished run no longer draws the widget;
- the URL's query as the server last wrote it, the page's script hash once the server named
  it (the page's name before that), the fragment's id for a fragment's rerun, and the hashes
  of the messages the browser keeps cached (the server then sends a reference to them);
- a press of a button counted in the browser (rnnviz/ui/step_button.js) is the component's
  state {"presses": n}; a form's button is a trigger sent once with the form's values;
- the Training page's live part is polled as its hidden component asks for it
  (rnnviz/ui/follow_runs.js): its trigger "poll" sent with a rerun of the fragment it was
  drawn in, while the server says runs train (its data "on"), once the last poll has drawn
  it again (its data "drawn" changed), no script run is going, and "interval" ms after the
  last poll at the earliest; the page's component's trigger "lost" (a rerun of the whole
  page) once the poll element is off the page, or after polls in a row drew nothing.

The tab keeps the page as the server drew it: the elements by their place, those a finished
run did not draw again dropped (so `elements()` is what the page shows once a run ends). It
draws nothing, so its CPU is that of reading the messages: the server's side of a class can
be measured with many tabs on one machine. What it does not do: render, run the components'
code (it sends what step_button.js and follow_runs.js would), ask for static files or media,
or send heartbeats. It knows the widgets of rnnviz's
pages (a widget of another kind is reported as an error, NotImplementedError).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

CONTEXT = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US",
           "is_embedded": False, "color_scheme": "light"}   # as headless Chromium sends it
_EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
# the runs after which the browser drops what they did not draw again
_CLEARS = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
# as rnnviz/ui/follow_runs.js: how often the page is looked at, polls unanswered in a row
CHECK_S, UNANSWERED, UNANSWERED_S = 0.1, 3, 3.0
TRIGGER_PREFIX = "$$STREAMLIT_INTERNAL_KEY_"   # a component's triggers: prefix + id + __events


def initial_state(kind: str, widget) -> WidgetState | None:
    """The state a browser gives a widget when it draws it (None: it keeps none, e.g. a
    button until pressed); its value is the one the server set, else the default."""
    state = WidgetState(id=widget.id)
    given = getattr(widget, "set_value", False)
    if kind in ("selectbox", "radio"):
        if given and widget.HasField("raw_value"):
            state.string_value = widget.raw_value
        elif widget.HasField("default"):
            state.string_value = widget.options[widget.default]
    elif kind == "number_input":
        value = widget.value if given and widget.HasField("value") else (
            widget.default if widget.HasField("default") else None)
        if value is not None and widget.data_type == widget.INT:
            state.int_value = int(value)
        elif value is not None:
            state.double_value = value
    elif kind == "slider":
        state.double_array_value.data.extend(widget.value if given else widget.default)
    elif kind == "checkbox":   # st.toggle too (the sidebar's presentation mode)
        state.bool_value = widget.value if given else widget.default
    elif kind == "button_group":
        state.string_array_value.data.extend(
            widget.raw_values if given else [widget.options[i].content for i in widget.default])
    elif kind == "multiselect":
        state.string_array_value.data.extend(
            widget.raw_values if given else [widget.options[i] for i in widget.default])
    elif kind == "text_area":
        if given and widget.HasField("value"):
            state.string_value = widget.value
        elif widget.HasField("default"):
            state.string_value = widget.default
    elif kind == "file_uploader":
        state.file_uploader_state_value.SetInParent()
    elif kind in ("button", "download_button", "bidi_component"):
        return None
    elif kind in ("plotly_chart", "dataframe") and not widget.selection_mode:
        return None   # a chart or a table is a widget only when it can be selected in
    else:
        raise NotImplementedError(f"a {kind} widget")
    return state


@dataclass
class Node:
    """What the page shows at one place: an element (or a block) and the run that drew it."""

    kind: str
    element: object
    run_id: str
    fragment_id: str


def run_apart(coroutine):
    """Run `coroutine` to its end on an event loop of its own thread (the caller's thread
    may hold a running loop, e.g. Playwright's sync API); its result."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def component_data(element) -> dict:
    """A browser component's data (a dict sent as JSON)."""
    which = element.WhichOneof("data")
    text = element.json if which == "json" else element.mixed.json if which == "mixed" else ""
    return json.loads(text) if text else {}


def component_trigger(element, event: str) -> WidgetState:
    """The state a component's `setTriggerValue(event)` sends (no value)."""
    return WidgetState(id=f"{TRIGGER_PREFIX}{element.id}__events",
                       json_trigger_value=json.dumps([{"event": event}], separators=(",", ":")))


@dataclass
class Follow:
    """What follow_runs.js keeps: the poll element last drawn (where, its data), the page
    element, when a poll was last asked for and whether it was answered."""

    poll: Node | None = None
    path: tuple[int, ...] = ()
    data: dict = field(default_factory=dict)
    page: object = None
    last_ask: float = float("-inf")
    answered: bool = True
    unanswered: int = 0
    recovered: object = None   # the data "drawn" of the poll element the page was asked for


@dataclass
class Run:
    """One script run the server finished: when (perf_counter) and with what status."""

    at: float
    status: int
    fragment_ids: tuple[str, ...] = ()


@dataclass
class Tab:
    """One tab of `page` (its URL path, e.g. "Step_through") with query `query`."""

    base_url: str
    page: str
    query: str = ""
    runs: list[Run] = field(default_factory=list)
    closed: bool = False
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.nodes: dict[tuple[int, ...], Node] = {}
        self.shown: dict[tuple[int, ...], Node] = {}   # the page as the last run left it
        self.states: dict[str, WidgetState] = {}        # the browser's widget states, by id
        self.pending: dict[str, dict[str, WidgetState]] = {}   # a form's edits, by form id
        self.components: dict[str, dict] = {}            # a browser component's own state
        self.page_hash = self.current_run = ""
        self.max_age = 2
        self.cache: dict[str, list] = {}   # hash -> [encoded message, run count, fragment id]
        self.run_count = 0
        self.follow = Follow()
        self.running = False   # a script run is going, as the browser's page says
        self.sent: list[tuple[float, BackMsg]] = []   # (perf_counter, the message)
        self._changed = asyncio.Event()
        self._ws = self._reader = self._follower = None

    # ----- the connection ---------------------------------------------------------------

    async def open(self, timeout_s: float) -> float:
        """Connect and run the page as a browser does; seconds to the first run's end."""
        from websockets.asyncio.client import connect

        start = time.perf_counter()
        ws_url = "ws" + self.base_url.removeprefix("http") + "/_stcore/stream"
        self._ws = await connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                 open_timeout=timeout_s, ping_interval=None)
        self._reader = asyncio.create_task(self._read())
        self._follower = asyncio.create_task(self._follow())
        self.rerun()
        await self.wait_runs(1, timeout_s)
        return time.perf_counter() - start

    async def close(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self._ws:
                try:
                    self._receive(raw)
                except Exception as why:  # noqa: BLE001 - a message it cannot read is a finding
                    self.errors.append(f"{type(why).__name__}: {why}")
        except ConnectionClosed as why:
            self.errors.append(f"the websocket closed: {why}")
        finally:
            self.closed = True
            self._changed.set()

    # ----- what the server sends ------------------------------------------------------------

    def _receive(self, raw: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        if msg.WhichOneof("type") == "ref_hash":
            msg = self._cached(msg)
        elif msg.metadata.cacheable and msg.hash in self.cache:
            self.cache[msg.hash][1] = self.run_count
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = [raw, self.run_count,
                                    msg.delta.fragment_id if msg.HasField("delta") else ""]
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.current_run = msg.metadata.run.script_run_id   # what the deltas belong to
            self.max_age = msg.new_session.config.max_cached_message_age
        elif kind == "session_status_changed":
            self.running = msg.session_status_changed.script_is_running
        elif kind == "delta":
            self._delta(msg)
        elif kind == "navigation":   # names the page that runs (new_session the app's)
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "script_finished":
            self._finished(msg)
        self._changed.set()

    def _cached(self, ref: ForwardMsg) -> ForwardMsg:
        """The message a reference stands for, with the reference's place and run."""
        entry = self.cache[ref.ref_hash]
        entry[1] = self.run_count
        msg = ForwardMsg()
        msg.ParseFromString(entry[0])
        msg.metadata.CopyFrom(ref.metadata)
        return msg

    def _delta(self, msg: ForwardMsg) -> None:
        delta, path = msg.delta, tuple(msg.metadata.delta_path)
        run = self.current_run
        which = delta.WhichOneof("type")
        if which == "new_element":
            kind = delta.new_element.WhichOneof("type")
            element = getattr(delta.new_element, kind)
            self.nodes[path] = Node(kind, element, run, delta.fragment_id)
            self._drawn(kind, element)
            if kind == "bidi_component":
                self._component(path, self.nodes[path])
        elif which == "add_block":
            self.nodes[path] = Node("block", delta.add_block, run, delta.fragment_id)
        elif path in self.nodes:   # rows added to a table, a chart: the element stays
            self.nodes[path].run_id = run

    def _drawn(self, kind: str, element) -> None:
        """A widget drawn: the browser keeps the value it had, or takes its first one."""
        widget_id = getattr(element, "id", "")
        if not widget_id.startswith("$$ID-"):
            return
        if widget_id in self.states and not getattr(element, "set_value", False):
            return
        state = initial_state(kind, element)
        if state is not None:
            self.states[widget_id] = state

    def _finished(self, msg: ForwardMsg) -> None:
        status = msg.script_finished
        fragments = tuple(msg.metadata.run.fragment_ids)
        self.runs.append(Run(time.perf_counter(), status, fragments))
        if status in _CLEARS:
            run = msg.metadata.run.script_run_id
            self.nodes = {path: node for path, node in self.nodes.items() if node.run_id == run
                          or (fragments and node.fragment_id not in fragments)}
            drawn = {getattr(n.element, "id", "") for n in self.nodes.values()}
            self.states = {k: v for k, v in self.states.items() if k in drawn}
            self.shown = dict(self.nodes)
        if status != _EARLY:   # the browser's cache ages by runs, a fragment's only its own
            self.run_count += 1
            self.cache = {h: e for h, e in self.cache.items()
                          if (fragments and e[2] not in fragments)
                          or self.run_count - e[1] <= self.max_age}

    def _component(self, path: tuple[int, ...], node: Node) -> None:
        """follow_runs.js's instance drawn: the page's, or the poll's (answered when its data
        "drawn" changed)."""
        data, follow = component_data(node.element), self.follow
        if data.get("role") == "page":
            follow.page = node.element
        elif data.get("role") == "poll":
            if data.get("drawn") != follow.data.get("drawn"):
                follow.answered, follow.unanswered = True, 0
            follow.poll, follow.path, follow.data = node, path, data

    async def _follow(self) -> None:
        """follow_runs.js's check: every CHECK_S, while no script run is going, poll the live
        part or ask for the page again."""
        while not self.closed:
            await asyncio.sleep(CHECK_S)
            if not self.running and self.follow.poll is not None:
                self._follow_step()

    def _follow_step(self) -> None:
        follow = self.follow
        drawn = follow.data.get("drawn")
        node = self.nodes.get(follow.path)
        if node is None or getattr(node.element, "id", None) != follow.poll.element.id:
            if follow.recovered != drawn:   # the poll element is off the page
                self._ask_page()
            return
        if not follow.data.get("on"):
            return
        since = time.perf_counter() - follow.last_ask
        if follow.answered:
            if since >= follow.data.get("interval", 500) / 1000:
                self._ask_poll()
        elif since >= UNANSWERED_S:
            follow.unanswered += 1
            if follow.unanswered < UNANSWERED:
                self._ask_poll()
            elif follow.recovered != drawn:
                self._ask_page()

    def _ask_poll(self) -> None:
        follow = self.follow
        follow.last_ask, follow.answered = time.perf_counter(), False
        self.rerun(fragment_id=follow.poll.fragment_id,
                   trigger=component_trigger(follow.poll.element, "poll"))

    def _ask_page(self) -> None:
        self.follow.recovered = self.follow.data.get("drawn")
        if self.follow.page is not None:
            self.rerun(trigger=component_trigger(self.follow.page, "lost"))

    # ----- what the tab sends ---------------------------------------------------------------

    def rerun(self, fragment_id: str = "", trigger: WidgetState | None = None) -> float:
        """Send a rerun as the browser does (with `trigger`, a trigger's state sent once);
        returns the time it was sent (perf_counter)."""
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = self.query
        for state in self.states.values():
            client.widget_states.widgets.append(state)
        if trigger is not None:
            client.widget_states.widgets.append(trigger)
        if self.page_hash:
            client.page_script_hash = self.page_hash
        else:
            client.page_name = self.page
        client.fragment_id = fragment_id
        client.cached_message_hashes.extend(self.cache)
        origin = urlparse(self.base_url)
        client.context_info.url = f"{origin.scheme}://{origin.netloc}/{self.page}"
        for name, value in CONTEXT.items():
            setattr(client.context_info, name, value)
        self.running = True   # the browser's page says so from now until the server answers
        self.sent.append((time.perf_counter(), msg))
        asyncio.get_running_loop().create_task(self._ws.send(msg.SerializeToString()))
        return self.sent[-1][0]

    def widget(self, key: str) -> Node:
        """The widget the page drew with `key` (KeyError if it drew none)."""
        for node in self.nodes.values():
            widget_id = getattr(node.element, "id", "")
            if widget_id.startswith("$$ID-") and widget_id.endswith(f"-{key}"):
                return node
        raise KeyError(f"no widget with the key {key!r} on {self.page}")

    def press_counted(self, key: str) -> float:
        """Press a button that counts its presses in the browser (◀ ▶): its state
        {"presses": n + 1} sent with a rerun of its fragment; the time it was sent."""
        node = self.widget(key)
        state = self.components.setdefault(key, {})
        state["presses"] = state.get("presses", 0) + 1
        self.states[node.element.id] = WidgetState(
            id=node.element.id, json_value=json.dumps(state, separators=(",", ":")))
        return self.rerun(fragment_id=node.fragment_id)

    def set_form_value(self, key: str, value: int) -> None:
        """Type a whole number into the form's number box `key` (kept until the form is
        submitted, as the browser keeps it)."""
        box = self.widget(key).element
        self.pending.setdefault(box.form_id, {})[box.id] = WidgetState(id=box.id,
                                                                       int_value=value)

    def submit(self, label: str) -> float:
        """Press the form's button `label`: the form's edits join the states and the button is
        sent pressed, once; the time it was sent."""
        button = next(n.element for n in self.nodes.values()
                      if n.kind == "button" and n.element.is_form_submitter
                      and n.element.label == label)
        self.states.update(self.pending.pop(button.form_id, {}))
        return self.rerun(trigger=WidgetState(id=button.id, trigger_value=True))

    # ----- waiting and reading --------------------------------------------------------------

    def finished(self) -> int:
        """Runs finished so far (one cut short by a newer rerun does not count)."""
        return sum(run.status != _EARLY for run in self.runs)

    async def wait_runs(self, count: int, timeout_s: float) -> Run:
        """Wait until `count` runs have finished; the count-th one."""
        await self.wait_for(lambda: self.finished() >= count, timeout_s,
                            f"{count} finished runs on {self.page}")
        return [run for run in self.runs if run.status != _EARLY][count - 1]

    async def wait_for(self, condition, timeout_s: float, what: str) -> None:
        """Wait until `condition()` holds, woken by every message; TimeoutError naming
        `what`, or ConnectionError if the websocket closed."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if self.closed:
                raise ConnectionError(f"the websocket closed waiting for {what}: "
                                      + "; ".join(self.errors))
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {what} within {timeout_s:.0f} s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                continue

    def elements(self, kind: str | None = None, main: bool = True) -> Iterator[Node]:
        """The elements the page showed when its last run ended, not half-way through one
        (of `kind`; in the main area only, by default), in their order on the page."""
        for path in sorted(self.shown):
            node = self.shown[path]
            if (kind is None or node.kind == kind) and (not main or path[0] == 0):
                yield node
