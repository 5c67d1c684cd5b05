"""The app's pages: each page's script and what it is for, stated once.

Streamlit's ``pages/`` convention names a page after its file (the app keeps that convention:
``st.navigation`` breaks AppTest.switch_page for scripts inside pages/): the number
prefix orders the pages and is dropped, underscores become spaces in the title
("pages/1_Step_through.py" is "Step through") and stay in the URL ("/Step_through"). So the
file name is where a title is written; everything else reads it from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

HOME_SCRIPT = "app.py"


@dataclass(frozen=True)
class Page:
    """One page of the app.

    Attributes:
        script: the file Streamlit runs, relative to the app's folder.
        blurb: what the page is for, in one line (the Home page lists them).
        own_settings: the page has settings of its own, and the sidebar's network settings
            (the shared Config) do not apply there, so the sidebar leaves them out.
    """

    script: str
    blurb: str = ""
    own_settings: bool = False

    @property
    def title(self) -> str:
        """The title, as Streamlit derives it from the file name: "Step through"."""
        if self.script == HOME_SCRIPT:
            return "Home"
        return re.sub(r"^\d+[_ -]*", "", PurePosixPath(self.script).stem).replace("_", " ")

    @property
    def url_path(self) -> str:
        """The page's path in a URL: "Step_through" ("" for Home)."""
        return "" if self.script == HOME_SCRIPT else self.title.replace(" ", "_")


HOME = Page(HOME_SCRIPT)
STEP = Page("pages/1_Step_through.py",
            "walk through the timesteps and see the cell's numbers at each one.")
GATES = Page("pages/2_Gates_and_cell_state.py",
             "what the LSTM's and the GRU's gates do over time.")
FLOW = Page("pages/3_Gradient_flow.py",
            "watch ∂L/∂a⟨t⟩ shrink or grow as it flows back through time.")
TRAINING = Page("pages/4_Training.py",
                "train the RNN, the LSTM and the GRU with Adam and compare their curves.",
                own_settings=True)
CHECK = Page("pages/5_Gradient_check.py",
             "compare back-propagation with a numerical derivative.")
LAB = Page("pages/6_Gate_lab.py",
           "change a gate or a state and see what the network forgets.")
UNITS = Page("pages/7_Units_on_text.py",
             "read a trained network's units on the text it learned.", own_settings=True)
MEMORY = Page("pages/8_Memory_map.py",
              "how far back each output still hears its inputs, and one unit by hand.")
# in the order Streamlit lists them
PAGES = (HOME, STEP, GATES, FLOW, TRAINING, CHECK, LAB, UNITS, MEMORY)
# the pages that show a training snapshot's weights
SNAPSHOT_VIEWS = (STEP, GATES, FLOW, LAB, MEMORY)
