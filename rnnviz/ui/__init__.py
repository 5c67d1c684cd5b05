"""The Streamlit layer: what the pages share, one concern per module.

    page       setup (called first on every page), the open-snapshot banner, engine errors
               as messages, charts, text from a URL shown literally
    player     the timestep player (◀, slider, ▶, Play) in a fragment
    view       a page's view controls: batch example, hidden unit, units, where the loss sits
    sidebar    the Config's controls: the sidebar (page links, network settings) and the
               Gradient flow page's knobs
    url        the URL round trip: the Config, the page's view and hide=, in one table
    state      every session key; the Config, the view fields and the hidden controls in
               the session; the helper for a widget mirrored in a session key
    gradients  the gradient pages' cached analyses and tables
    cache      the engine's results for a Config, cached (st.cache_data)
    training   training runs in the session, and snapshots opened in the other views

A module imports only modules listed below it.
"""
