"""rnnviz: a browser explorer for recurrent networks over its own NumPy engine.

Layers, each importing only those below it: `rnnviz.engine` (NumPy), `rnnviz.notebook` and
`rnnviz.training`, `rnnviz.app` and `rnnviz.figures` (pure Python), `rnnviz.ui` (Streamlit).
The engine's public names are importable from here too.
"""

from rnnviz.engine import *  # noqa: F403
from rnnviz.engine import __all__  # noqa: F401
