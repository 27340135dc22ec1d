"""Lesson links (``ui/lesson.py``): settings written in a link and read back, and what a bad link gets.

Every widget kind of the settings table round-trips; a value that is unknown, out of the
table's bounds or not a value at all is dropped with one note, never an exception.
"""

import re
from dataclasses import asdict
from urllib.parse import parse_qsl, urlsplit

import pytest

from nn.settings import SETTINGS, WIDGETS, TrainConfig
from ui import lesson

# One value off its default for a setting of every widget kind.
CHANGED = {"conv": ((8, 5), (16, 5)), "hidden": (128, 64), "optimizer": "momentum", "lr": 0.05, "batch_size": 32,
           "l2": 0.5, "dropout": 0.25, "augment": True}


def test_the_changed_values_cover_every_widget_kind():
    assert {f.metadata["widget"] for f in SETTINGS if f.name in CHANGED} == set(WIDGETS)


def test_every_widget_kind_round_trips_in_a_readable_form():
    query = lesson.to_query(CHANGED)
    assert query == {"conv": "8x5,16x5", "hidden": "128,64", "optimizer": "momentum", "lr": "0.05",
                     "batch_size": "32", "l2": "0.5", "dropout": "0.25", "augment": "on"}
    link, notes = lesson.parse(query)
    assert notes == []
    assert link.values == CHANGED
    assert TrainConfig(**link.values)  # what a link gives is a valid config


def test_settings_at_their_default_are_left_out():
    assert lesson.to_query(asdict(TrainConfig())) == {}
    assert lesson.to_query({**asdict(TrainConfig()), "lr": 0.1}) == {"lr": "0.1"}


@pytest.mark.parametrize("value", [1e-7, 0.0003, 1 / 3, 7.0])
def test_a_learning_rate_comes_back_exactly(value):
    written = lesson.to_query({"lr": value})["lr"]
    assert lesson.parse({"lr": written})[0].values["lr"] == value


def test_a_fully_connected_net_and_a_switch_read_in_plain_words():
    link, notes = lesson.parse({"conv": "none", "augment": "off", "hidden": "64"})
    assert notes == []
    assert link.values == {"conv": (), "augment": False, "hidden": (64,)}


# param -> text: each is dropped with a note naming it
BAD = {
    "lr": "50",  # out of range
    "epochs": "0",
    "hidden": "128,64,32,16,8",  # five layers: at most four
    "batch_size": "2.5",  # not a whole number
    "conv": "8x12",  # kernel too big
    "optimizer": "sgdx",  # not a choice
    "augment": "maybe",
    "dropout": "nan",
    "l2": "inf",
    "colour": "red",  # not a setting
    "lesson": "not-hex",
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_value_is_dropped_with_one_note(name):
    link, notes = lesson.parse({name: BAD[name]})
    assert link.values == {} and link.lesson_id is None
    assert len(notes) == 1 and notes[0].startswith(f"{name}={BAD[name]}")


def test_the_note_says_why_in_the_settings_tables_words():
    _, notes = lesson.parse({"lr": "50"})
    assert notes == ["lr=50 (Learning rate must be between 1e-07 and 10, not 50)"]
    assert lesson.notice(notes) == ("Ignored in this link, so the defaults are used instead: "
                                    "lr=50 (Learning rate must be between 1e-07 and 10, not 50).")
    assert lesson.notice([]) is None


def test_conv_layers_that_do_not_fit_the_image_are_dropped():
    link, notes = lesson.parse({"conv": "64x9,64x9,64x9"})
    assert "conv" not in link.values and "Conv layers" in notes[0]


def test_good_values_stay_when_others_are_dropped():
    link, notes = lesson.parse({"lr": "0.02", "epochs": "-3", "hidden": "x,64"})
    assert link.values == {"lr": 0.02}
    assert len(notes) == 2


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "0.1<script>", "javascript:alert(1)", "1e400", ""])
def test_a_scripted_or_empty_learning_rate_is_ignored(text):
    link, notes = lesson.parse({"lr": text})
    assert "lr" not in link.values and len(notes) == 1


def test_a_long_value_is_not_read_and_its_note_stays_short():
    link, notes = lesson.parse({"hidden": "1," * 5000})
    assert link.values == {}
    assert len(notes[0]) < 60 and "too long" in notes[0]


def test_lock_and_hide_name_settings_and_unknown_names_get_a_note():
    link, notes = lesson.parse({"lr": "0.05", "lock": "lr,epochs,bogus", "hide": "optimizer,,conv"})
    assert link.locked == {"lr", "epochs"}
    assert link.hidden == {"optimizer", "conv"}
    assert notes == ["lock=bogus (not a setting)"]
    assert link.values == {"lr": 0.05}  # epochs is locked at its default
    assert link.summary() == ("Some settings are set by this lesson: locked Learning rate, Epochs; "
                              "hidden Conv layers, Optimiser.")
    assert lesson.LessonLink().summary() is None
    query = link.query(link.values)
    assert query["lock"] == "lr,epochs" and query["hide"] == "conv,optimizer"  # the settings table's order


def test_a_lesson_id_is_kept_and_other_codes_params_are_skipped():
    link, notes = lesson.parse({"lesson": "a1b2c3", "b": "0123456789abcdef", "run": "x"}, theirs=("b", "run"))
    assert notes == [] and link.lesson_id == "a1b2c3"
    assert link.query({}) == {"lesson": "a1b2c3"}
    assert lesson.parse({"lesson": "a" * 33})[0].lesson_id is None  # 6 to 32 hex characters


def test_a_link_is_readable_and_reads_back():
    address = lesson.link("http://host:8501/train", CHANGED, locked={"lr"}, hidden={"optimizer"}, lesson_id="abc123")
    assert address.startswith("http://host:8501/train?conv=8x5,16x5&hidden=128,64&")
    link, notes = lesson.parse(dict(parse_qsl(urlsplit(address).query)))
    assert notes == []
    assert (link.values, link.locked, link.hidden, link.lesson_id) == (CHANGED, {"lr"}, {"optimizer"}, "abc123")
    assert lesson.link("http://host:8501/train", asdict(TrainConfig())) == "http://host:8501/train"


def test_markdown_text_escapes_every_mark_so_it_shows_as_typed():
    shown = lesson.markdown_text("lr=[x](http://e.vil) <b>*bold*</b>\n:red[!]")
    assert "\n" not in shown
    assert not re.search(r"(?<!\\)[\[\]()<>*:!]", shown), shown
