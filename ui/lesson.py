"""Lesson links: the Train page's settings written in its address, read back, and shared.

A link such as ``/train?lr=0.05&hidden=128,64&optimizer=momentum&conv=8x5,16x5&lock=lr&hide=optimizer``
opens the Train page with those settings; ``lock`` names settings shown but not changeable,
``hide`` settings not shown at all (both take the link's value, or the default), and
``lesson=<hex id>`` says which lesson the link belongs to.  Each setting is written the way
its widget kind (``nn.settings.WIDGETS``) reads best: layer widths ``128,64``, conv layers
``8x5,16x5`` (channels x kernel; ``none`` for no conv layers), a choice by its code name, a
checkbox ``on``/``off``, a number as typed.  Settings at their default are left out, so links
stay short.  Every value read from a link is checked against the settings table
(``nn.settings.TrainConfig``); whatever does not fit is dropped with a short note, never an
error.  Nothing here lists the settings: they come from ``nn.settings.SETTINGS``.

``markdown_text`` escapes any text a person typed (a link's value, a nickname, a file name) for
the Markdown that captions and the sidebar render; every page uses this one.

Not for Streamlit calls: the session keeps the address (``ui/session.py``) and the Train
page's widgets are drawn by ``ui/train_controls.py``.  Not for a browser's identity (``b``,
``run``): those must never be in a link shared with someone else.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from nn.settings import SETTINGS, TrainConfig

BY_NAME = {f.name: f for f in SETTINGS}
LOCK, HIDE, LESSON = "lock", "hide", "lesson"
PARAMS = frozenset({*BY_NAME, LOCK, HIDE, LESSON})  # the query params a lesson link owns
LESSON_ID = re.compile(r"[0-9a-f]{6,32}")
NO_CONV = "none"
SWITCH = {"on": True, "off": False, "true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
LONGEST = 64  # no setting is written longer than this (4 layers of 1024 are 19 characters)
SHOWN_CHARS = 24  # a value longer than this is cut short in a note
MARKDOWN_MARK = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark, each escapable in Markdown


@dataclass(frozen=True)
class LessonLink:
    """What a link sets on the Train page: setting values by name, which settings are locked or hidden, its lesson."""

    values: dict = field(default_factory=dict)  # setting name -> value, each within the settings table's bounds
    locked: frozenset = frozenset()  # settings shown with the link's value, not changeable
    hidden: frozenset = frozenset()  # settings not shown; they take the link's value or the default
    lesson_id: str | None = None  # the lesson this link belongs to (a hex id), for the classroom

    def summary(self):
        """Return in words which settings this link locks and hides, e.g. '... locked Learning rate.', or None."""
        parts = [f"{verb} {', '.join(f.metadata['label'] for f in SETTINGS if f.name in names)}"
                 for verb, names in (("locked", self.locked), ("hidden", self.hidden)) if names]
        return f"Some settings are set by this lesson: {'; '.join(parts)}." if parts else None

    def query(self, values):
        """Return the query params of a link with values and this link's locks, hidden settings and lesson."""
        return to_query(values, self.locked, self.hidden, self.lesson_id)


def parse(query, theirs=()):
    """Return (LessonLink, notes) read from a page's query params {name: text}.

    Params named in theirs belong to other code and are skipped.  Every param that is not
    a setting, or whose value does not fit its setting, is dropped with one note in plain
    words, e.g. 'lr=50 (Learning rate must be between 1e-07 and 10, not 50)'.
    """
    values, notes, lesson_id = {}, [], None
    for name, text in query.items():
        if name in theirs or name in (LOCK, HIDE):
            continue
        if name == LESSON:
            if LESSON_ID.fullmatch(text):
                lesson_id = text
            else:
                notes.append(f"{_shown(name, text)} (not a lesson id: 6 to 32 characters 0-9 and a-f)")
            continue
        if name not in BY_NAME:
            notes.append(f"{_shown(name, text)} (not a setting)")
        elif len(text) > LONGEST:
            notes.append(f"{_shown(name, text)} (too long for a setting)")
        else:
            try:
                values[name] = _read(BY_NAME[name], text)
            except ValueError as err:
                notes.append(f"{_shown(name, text)} ({str(err).rstrip('.')})")
    locked, hidden = (_names(param, query.get(param, ""), notes) for param in (LOCK, HIDE))
    return LessonLink(values, locked, hidden, lesson_id), notes


def to_query(values, locked=(), hidden=(), lesson_id=None):
    """Return the query params {name: text} of a link: values {setting name: value} not at their default, then the rest.

    locked and hidden name settings; they are written in the settings table's order.
    """
    query = {f.name: _written(f, values[f.name]) for f in SETTINGS
             if f.name in values and values[f.name] != f.default}
    for param, names in ((LOCK, locked), (HIDE, hidden)):
        if names:
            query[param] = ",".join(f.name for f in SETTINGS if f.name in names)
    if lesson_id:
        query[LESSON] = lesson_id
    return query


def link(base_url, values, locked=(), hidden=(), lesson_id=None):
    """Return base_url (the Train page's address) with a link's query string: see ``to_query``."""
    query = to_query(values, locked, hidden, lesson_id)
    return f"{base_url}?{urlencode(query, safe=',')}" if query else base_url


def notice(notes):
    """Return one sentence saying which parts of a link were ignored, or None if none were."""
    if not notes:
        return None
    return f"Ignored in this link, so the defaults are used instead: {'; '.join(notes)}."


def markdown_text(text):
    """Return text with every Markdown mark escaped, so that Streamlit shows it exactly as typed."""
    return MARKDOWN_MARK.sub(r"\\\1", " ".join(text.split()))


def _read(f, text):
    """Return setting f's value written as text; raise ValueError saying in plain words why it does not fit."""
    widget = f.metadata["widget"]
    if widget == "layers":
        value = tuple(_whole(part, "widths like 128,64") for part in text.split(","))
    elif widget == "conv_layers":
        value = () if text == NO_CONV else tuple(_conv_layer(part) for part in text.split(","))
    elif widget == "checkbox":
        if text.lower() not in SWITCH:
            raise ValueError("not on or off")
        value = SWITCH[text.lower()]
    elif widget == "choice":
        value = text
    elif f.type is int:
        value = _whole(text, "a whole number")
    else:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("not a number") from None
    TrainConfig(**{f.name: value})  # the settings table's own check, with its own plain message
    return value


def _whole(text, expected):
    """Return text as a whole number; raise ValueError saying 'not <expected>' if it is not one."""
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"not {expected}") from None


def _conv_layer(text):
    """Return one conv layer written 'CxK' (channels x kernel size) as (C, K)."""
    channels, _, kernel = text.partition("x")
    expected = f"conv layers like 8x5,16x5 (or {NO_CONV})"
    return _whole(channels, expected), _whole(kernel, expected)


def _written(f, value):
    """Return setting f's value as a link writes it (``_read`` reads it back)."""
    widget = f.metadata["widget"]
    if widget == "layers":
        return ",".join(str(width) for width in value)
    if widget == "conv_layers":
        return ",".join(f"{c}x{k}" for c, k in value) or NO_CONV
    if widget == "checkbox":
        return "on" if value else "off"
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return str(value)


def _names(param, text, notes):
    """Return the settings named in a lock or hide param ('lr,epochs'); note each name that is not a setting."""
    names = [name for name in text.split(",") if name]
    for name in names:
        if name not in BY_NAME:
            notes.append(f"{_shown(param, name)} (not a setting)")
    return frozenset(name for name in names if name in BY_NAME)


def _shown(name, text):
    """Return 'name=text' as a note shows it, a long text cut short."""
    written = f"{name}={text}"
    return written if len(written) <= SHOWN_CHARS else written[:SHOWN_CHARS - 1] + "…"
