"""The Streamlit layer: what the pages share, one concern per module.

    scrub       a run's recurrence scrubbed through its snapshots: the spectrum at one, the
                spectral radius over training (Training page, Memory map)
    train_live  the Training page live, in a fragment the browser polls while the workers
                train (follow_runs.js): Stop and Continue, runs waiting for a slot, the
                progress, the curves, the runs' table
    run_detail  one training run in detail: downloads, the optimizer's insides, snapshots,
                samples, a snapshot opened in another view
    unit_find   the Units on text page's Find units (units ranked for chosen positions) and
                Match (where a span's units are on together again)
    unit_text   the Units on text page's parts: a character-model run and snapshot, its text
                read by the network (cached), the unit colouring it
    train_runs  the training runs kept: their table, which the charts show, removing one,
                loading a model file
    train_form  the training settings form, drawn from rnnviz.training.settings
    lab         the Gate lab: its interventions editor, the two runs compared (cached), and
                their figures side by side
    break_it    a trained network broken on purpose on the copy task: its memory gate shut,
                its units silenced (rnnviz.training.experiments), cached per network
    memory      the Memory map page's parts: each cell's memory map (cached), one unit by hand
    page        setup (called first on every page), a part of a page that a control inside
                it reruns alone (a fragment), the open-snapshot banner, engine errors as
                messages, charts, text from a URL shown literally
    player      the timestep player (◀, slider, ▶, Play) in a fragment
    view        a page's view controls: batch example, hidden unit, units, where the loss
                sits, a number on a slider
    sidebar     the Config's controls: the sidebar (page links, network settings) and the
                Gradient flow page's knobs
    url         the URL round trip: the Config, the page's view, network= and hide=, in one
                table
    ready       the ready-trained networks: the sidebar's menu and a link's network= open one
                as a run of the session and the snapshot shown
    training    training runs in the session: kept, trained by workers (stopped with the
                session), shown; a snapshot opened in the other views; samples
    state       every session key; the Config, the view fields and the hidden controls in
                the session; the helper for a widget mirrored in a session key; what a
                widget's change reruns (the whole page, or the part it is drawn in)
    replica     the notice of a student moved here from a replica that stopped
    widgets     a setting's Field drawn as the widget its kind calls for
    gradients   the gradient pages' cached analyses and tables
    cache       the engine's results for a Config, cached (st.cache_data)

A module imports only modules listed below it.
"""
