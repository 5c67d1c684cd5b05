"""A setting drawn from its row: one `rnnviz.fields.Field` as the widget its kind calls for,
with the row's label, bounds, choices and their labels, and help, so no control types a
limit or a label again."""

from __future__ import annotations

import streamlit as st

from rnnviz.fields import Field

NUMBER_FORMAT = "%g"   # 0.01, 0.999, 1e-08: as many digits as the value has (up to six)
TEXT_HEIGHT = 90       # pixels: a few lines of a pasted text


_NOT_GIVEN = object()


def field_widget(field: Field, key: str, shown=_NOT_GIVEN, **options):
    """Draw `field` under the widget key `key` (whose session value it shows) and return
    its value: a menu or radio buttons for a "choice" (per `field.widget`), a menu of several
    or a row of toggle buttons for a "choices" (read it with `widget_value`), a number box
    within the bounds for an "int" or a "float", a text area for a "text" (its size is
    checked where the text is used). `options` go to the Streamlit widget and win over what
    the field says (help, disabled, on_change and its args, a number box's step and format).

    `shown`, if given, is the widget's default: what the browser shows if it draws the control
    afresh while the key keeps its value (without it, the lowest number, the first choice,
    none chosen or no text). Leave it out in a run that sets the key's value (Streamlit warns
    of the two), as that run sends the value to the browser anyway.

    Raises:
        ValueError: the field's kind has no widget here.
    """
    common = {"key": key, "help": field.help or None, **options}
    given = shown is not _NOT_GIVEN
    if field.kind == "choice":
        if given:
            common = {"index": list(field.choices).index(shown), **common}
        if field.widget == "radio":
            return st.radio(field.label, field.choices, format_func=field.label_of,
                            horizontal=True, **common)
        return st.selectbox(field.label, field.choices, format_func=field.label_of, **common)
    if field.kind == "choices":
        if given:
            common = {"default": list(shown), **common}
        if field.widget == "radio":
            return st.segmented_control(field.label, field.choices, selection_mode="multi",
                                        format_func=field.label_of, **common)
        return st.multiselect(field.label, field.choices, format_func=field.label_of, **common)
    if given:
        common = {"value": shown, **common}
    if field.kind in ("int", "float"):
        number = int if field.kind == "int" else float
        low, high = (number(bound) for bound in field.bounds())
        return st.number_input(field.label, low, high,
                               **{**({} if number is int else {"format": NUMBER_FORMAT}),
                                  **common})
    if field.kind == "text":
        # no max_chars: the row's limit is in bytes, and a box that cuts a paste short says
        # nothing; the text is checked (and refused with its size) when it is used
        return st.text_area(field.label, height=TEXT_HEIGHT, **common)
    raise ValueError(f"field {field.name}: no widget draws a {field.kind!r}")


def widget_value(field: Field, key: str, default):
    """The value of `field`'s control under `key` (`default` when it is not drawn), as the
    field's own: a "choices" control's list becomes a tuple in the order of the choices."""
    value = st.session_state.get(key, default)
    return field.ordered(value) if field.kind == "choices" else value


def shown_value(field: Field, value) -> str:
    """`value` as the control would show it, in bold after the label: "task: **Adding**"."""
    return f"{field.label}: **{field.label_of(value)}**"
