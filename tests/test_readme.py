"""The README's lesson links and parameter tables stay true to the app."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from rnnviz.app import lesson
from rnnviz.app.config import FIELDS, from_query
from rnnviz.app.contents import PAGES
from rnnviz.app.runs import view_config
from rnnviz.training.bundled import load

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
LINKS = re.findall(r"http://localhost:8501/[^\s)`]*", README)
BY_PATH = {page.url_path: page for page in PAGES}


def test_the_readme_has_lesson_links_for_the_lesson():
    assert len(LINKS) >= 6
    assert any("hide=" in link for link in LINKS)


def test_every_readme_link_opens_without_a_warning():
    for link in LINKS:
        url = urlparse(link)
        page = BY_PATH.get(url.path.strip("/"))
        assert page is not None, link
        query = parse_qs(url.query, keep_blank_values=True)
        config, warnings = from_query(query)
        assert warnings == [], link
        if "network" in query:  # the ready-trained network's sizes, as the app opens it
            config = view_config(load(query["network"][0]).trained.config)
        sizes = {"T_x": config.T_x, "n_a": config.n_a, "m": config.m, "cell": config.cell}
        view, view_warnings = lesson.parse_view(page, query, sizes)
        hidden, hide_warnings = lesson.parse_hide(query.get("hide", ""))
        _question, ask_warnings = lesson.parse_ask(query.get(lesson.ASK_KEY))
        assert view_warnings == [] and hide_warnings == [] and ask_warnings == [], link
        # the link says each thing once, as the app writes it back
        assert all(len(values) == 1 for values in query.values()), link


def test_the_parameter_tables_name_every_parameter_and_hideable_control():
    tables = README[README.index("## URL parameters"):README.index("## Presets")]
    cells = set(re.findall(r"\|\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?=\|)", tables))
    cells |= {n.strip() for row in re.findall(r"\| ([a-zA-Z_, ]+) \|", tables)
              for n in row.split(",")}
    for f in FIELDS:
        assert f.name in cells, f.name
    for name in lesson.VIEW_KEYS | set(lesson.HIDEABLE):
        assert name in cells, name


def test_the_interventions_example_runs_and_its_shut_forget_gate_keeps_nothing():
    import numpy as np

    section = README[README.index("## Interventions"):README.index("## Tasks")]
    names: dict = {}
    exec(re.search(r"```python\n(.*?)```", section, re.S).group(1), names)  # noqa: S102
    trace, shut = names["trace"], slice(9, 20)  # t = 10..20
    np.testing.assert_array_equal(trace.c[:, :, shut],
                                  trace.u[:, :, shut] * trace.c_tilde[:, :, shut])
    assert np.all(trace.f[:, :, :9] > 0) and np.isfinite(names["result"].loss)
