"""bench_server_cost's student: what it does on each page, action by action, for one size of
network (SIZES), each action measured by server_cost_meter and noted with what it makes the
server compute."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # rnnviz
from load_browser import wait_training_done  # noqa: E402
from server_cost_meter import (  # noqa: E402
    TRAIN_TIMEOUT_MS,
    Action,
    Student,
    play,
    repeated,
    slider_moves,
    step_presses,
)

from rnnviz.app.config import Config  # noqa: E402
from rnnviz.app.contents import (  # noqa: E402
    FLOW,
    GATES,
    LAB,
    MEMORY,
    PAGES,
    STEP,
    TRAINING,
    UNITS,
    Page,
)
from rnnviz.app.memory import PRINCIPAL_COMPONENTS  # noqa: E402
from rnnviz.ui.sidebar import KNOB_PREFIX  # noqa: E402
from rnnviz.ui.state import WIDGET_PREFIX, widget_key  # noqa: E402

SIZES = {"default": "", "large": "n_a=64&T_x=60"}
SIZE_LABELS = {"default": "default", "large": "n_a = 64, T_x = 60"}
# the pages whose actions --views-only measures, besides the Training page's snapshots
VIEWS = (LAB, UNITS, MEMORY)
# the label of a run's snapshot slider, on the Training page and on the Memory map
# (rnnviz.ui.run_detail.snapshot_step)
SNAPSHOT_SLIDER = "training step"
LOAD_NOTES = {UNITS: "a new session each time: no run of its own, the page says where to "
                     "train one"}
IDLE_S = 5.0
TRAIN_RUN = "Training: Train (default run)"


def query(size: str) -> str:
    """The query string that opens a page at `size`: "?n_a=64&T_x=60", or ""."""
    return f"?{SIZES[size]}" if SIZES[size] else ""


def t_x(size: str) -> int:
    """T_x at `size` (the query's, else the Config's default)."""
    for part in SIZES[size].split("&"):
        if part.startswith("T_x="):
            return int(part[4:])
    return Config().T_x


# ----- Step through, Gates and cell state, the seed, Gradient flow --------------------------

async def step_and_gates(student: Student, size: str, presses: int) -> list[Action]:
    """▶ / ◀ and the timestep slider on Step through and on Gates and cell state, and Play
    on Step through."""
    label, actions = SIZE_LABELS[size], []
    for target in (STEP, GATES):
        await student.open(target, query(size))
        await student.meter.measure_idle(IDLE_S)
        press = Action(f"{target.title}: ▶ / ◀", label,
                       note="the new t drawn; the forward pass from the cache")
        await step_presses(student, press, t_x(size), presses)
        # the slider's key is numbered once ◀ ▶ moved t (rnnviz.ui.player)
        slider = student.page.locator(f'[class*="st-key-{WIDGET_PREFIX}t"]').get_by_role("slider")
        actions += [press, await slider_moves(student, Action(
            f"{target.title}: timestep slider", label, note=press.note), slider, presses)]
        if target == STEP:
            actions.append(await play(student, query(size), t_x(size), label))
    return actions


async def new_seeds(student: Student, size: str, presses: int) -> Action:
    """A new seed typed in the sidebar, `presses` times."""
    await student.open(STEP, query(size))
    box = student.page.locator(f".st-key-{WIDGET_PREFIX}seed").get_by_role("spinbutton")

    async def new_seed(k: int) -> None:
        await box.fill(str(100 + k))
        await box.press("Enter")

    return await repeated(student, Action(
        "Step through: seed changed in the sidebar", SIZE_LABELS[size],
        note="a new forward pass each time"), new_seed, presses)


async def knob_moves(student: Student, target: Page, size: str, presses: int,
                     note: str) -> Action:
    """The spectral-radius knob of the page open (`target`) moved one step right `presses`
    times: a new configuration each time."""
    knob = student.page.locator(f".st-key-{KNOB_PREFIX}spectral_radius").get_by_role("slider")

    async def knob_right(_: int) -> None:
        await knob.focus()
        await knob.press("ArrowRight")

    return await repeated(student, Action(f"{target.title}: spectral-radius knob",
                                          SIZE_LABELS[size], note=note), knob_right, presses)


async def flow_knob(student: Student, size: str, presses: int) -> Action:
    """Gradient flow's spectral-radius knob."""
    await student.open(FLOW, query(size))
    return await knob_moves(student, FLOW, size, presses,
                            "a new configuration each time: every cell anew")


# ----- the Memory map ---------------------------------------------------------------------------

async def memory_map(student: Student, size: str, presses: int) -> list[Action]:
    """On the Memory map: the principal components drawn switched between 3 and 2 (each
    measured apart), one unit's w slider, and the spectral-radius knob."""
    label = SIZE_LABELS[size]
    await student.open(MEMORY, query(size))
    await student.meter.measure_idle(IDLE_S)
    radio = student.page.locator(f".st-key-{widget_key('pcs', MEMORY)}")
    # from the page's default, the fewest components: the most first, then back
    drawn = {count: Action(f"Memory map: states drawn in {count}-D", label,
                           note="the states' chart; their projection and fixed points "
                                "from the cache")
             for count in sorted(PRINCIPAL_COMPONENTS, reverse=True)}
    for _ in range(presses):
        for count, action in drawn.items():
            await student.measured(action, radio.get_by_text(PRINCIPAL_COMPONENTS[count],
                                                             exact=True).click)
    student.meter.close()
    w = student.page.locator(f".st-key-{widget_key('w', MEMORY)}").get_by_role("slider")
    unit = await slider_moves(student, Action(
        "Memory map: one unit's w slider", label,
        note="one unit's run and fixed points; the maps, spectra and states from the cache"),
        w, presses)
    knob = await knob_moves(student, MEMORY, size, presses,
                            "a new configuration each time: every cell's memory map, the "
                            "spectra, the states and their fixed points anew")
    return [*drawn.values(), unit, knob]


# ----- page loads -------------------------------------------------------------------------------

async def page_loads(student: Student, size: str, targets: tuple[Page, ...],
                     loads: int) -> list[Action]:
    """Each page of `targets` opened `loads` times, a new session each time."""
    actions = []
    for target in targets:
        opened = Action(f"page load: {target.title}", SIZE_LABELS[size],
                        note=LOAD_NOTES.get(target, "a new session each time"))
        for _ in range(loads):
            await student.meter.run(opened, lambda t=target: student.open(t, query(size)))
        student.meter.close()
        actions.append(opened)
    return actions


# ----- what one size measures, by mode ----------------------------------------------------------

async def one_size(student: Student, size: str, presses: int, loads: int) -> list[Action]:
    """Every action of one size but the training run's."""
    actions = await step_and_gates(student, size, presses)
    actions.append(await new_seeds(student, size, presses))
    actions.append(await flow_knob(student, size, presses))
    actions += await memory_map(student, size, presses)
    actions += await page_loads(student, size, PAGES, loads)
    await student.meter.measure_idle(IDLE_S)
    return actions


async def views_size(student: Student, size: str, presses: int, loads: int) -> list[Action]:
    """--views-only: the Memory map's actions and the loads of VIEWS."""
    actions = await memory_map(student, size, presses)
    actions += await page_loads(student, size, VIEWS, loads)
    await student.meter.measure_idle(IDLE_S)
    return actions


async def play_only(student: Student, size: str) -> list[Action]:
    """--play-only: Play on Step through alone, three times from t = 1 to T_x."""
    return [await play(student, query(size), t_x(size), SIZE_LABELS[size]) for _ in range(3)]


async def knob_only(student: Student, size: str, presses: int) -> list[Action]:
    """--knob-only: Gradient flow's spectral-radius knob alone."""
    knob = await flow_knob(student, size, presses)
    await student.meter.measure_idle(IDLE_S)
    return [knob]


# ----- the Training page ------------------------------------------------------------------------

async def training_run(student: Student) -> Action:
    """The Training page's default run, from Train to every run finished and the page idle."""
    await student.open(TRAINING)
    run = Action(TRAIN_RUN, SIZE_LABELS["default"],
                 note="its cells trained in the workers, the page polling them")

    async def train() -> None:
        runs = student.counter.finished
        await student.page.get_by_role("button", name="Train", exact=True).click()
        await student.counter.wait_for(runs + 1, TRAIN_TIMEOUT_MS)
        await wait_training_done(student.page, TRAIN_TIMEOUT_MS)
        await student.idle(TRAIN_TIMEOUT_MS)

    await student.meter.run(run, train)
    student.meter.close()
    return run


async def snapshots(student: Student, presses: int) -> list[Action]:
    """After training_run, on its page: the snapshot slider of "Inside one run", then "Open in
    Memory map" and, on the Memory map opened on that snapshot, its "Through training"
    slider."""
    label = SIZE_LABELS["default"]
    slider = student.page.get_by_role("slider", name=SNAPSHOT_SLIDER)
    scrubbed = await slider_moves(student, Action(
        "Training: snapshot step slider", label,
        note="the snapshot's spectrum, radii once per snapshot, names sampled from it: "
             "the snapshots' part of the page alone"), slider, presses)
    opened = Action(f"Training: Open in {MEMORY.title}", label,
                    note="the snapshot's memory map, spectra, states and fixed points")
    await student.measured(opened, student.page.get_by_role(
        "button", name=f"Open in {MEMORY.title}", exact=True).click)
    student.meter.close()
    through = await slider_moves(student, Action(
        "Memory map: Through training slider", label,
        note="that snapshot's spectrum, radii once per snapshot; the rest from the cache"),
        slider, presses)
    await student.meter.measure_idle(IDLE_S)
    return [scrubbed, opened, through]
