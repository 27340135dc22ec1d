"""Every kind of bad upload, through the pages: one plain error, and the model, data and digits stay as they were.

Three uploaders take files: a model and a dataset on the Train page, a set of drawn digits on
the Draw page.  Each gets the bad files people really send (empty, random bytes, a cut-off
.npz, an .npz of pickled objects, wrong shapes and dtypes, labels out of range, a CSV without
its columns, a file over the size limit).  The loaders' own tests (``test_modelio.py``,
``test_data.py``) check every message in detail; these check what the user sees and what is
kept.  The last tests damage good files at random: the loaders must answer with their one
error, never another exception.
"""

import io
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nn import data as nn_data
from nn.data import DataError, read_dataset
from nn.digits.finetune import MAX_DIGITS, DigitsError, MyDigits
from nn.files import model_file as modelio
from nn.files.model_file import ModelFileError, load_model, model_bytes
from nn.network import Network
from tests.test_data import BAD_INPUTS, FAKE, GOOD_NPZ, with_
from tests.test_modelio import model_arrays, npz_bytes
from ui.session import Session

NET = Network(hidden=(32, 16), seed=3)
GOOD_MODEL = model_bytes(NET)
CSV_NO_PIXELS = b"label,pixel0,pixel1\n1,0,0\n"
# name: (file bytes, a pattern of the message); "too big" files are good ones, sent after the limit is lowered
BAD_MODELS = {
    "empty": (b"", "empty"),
    "random bytes": (np.random.default_rng(1).bytes(5000), "not a model file"),
    "truncated npz": (GOOD_MODEL[: len(GOOD_MODEL) // 2], "damaged or cut off"),
    "pickled npz": (npz_bytes(**model_arrays(NET, W1=np.array([{"evil": 1}], dtype=object))), "never loaded"),
    "wrong shape": (npz_bytes(**model_arrays(NET, W2=np.zeros((32, 17), np.float32))), "shape"),
    "wrong dtype": (npz_bytes(**model_arrays(NET, b1=np.zeros(32, np.int64))), "floating-point"),
    "a dataset, not a model": (GOOD_NPZ, "no 'metadata'"),
    "a CSV": (CSV_NO_PIXELS, "not a model file"),
    "too big": (GOOD_MODEL, "larger than"),
}
DATA_CASES = ["empty", "random bytes", "truncated npz", "pickled objects", "wrong image shape", "text pixels",
              "label 10", "negative label", "csv missing pixels", "csv without label"]
BAD_DATA = {**{name: BAD_INPUTS[name] for name in DATA_CASES}, "too big": (GOOD_NPZ, "larger than")}
BAD_DIGITS = {**BAD_DATA, "too many digits": (
    with_(x_train=np.zeros((MAX_DIGITS, 28, 28), np.uint8), y_train=np.zeros(MAX_DIGITS, np.uint8)),
    f"at most {MAX_DIGITS:,}")}


def open_page(page, **session):
    """Return an AppTest on pages/<page>.py for a session holding these values."""
    at = AppTest.from_file("../app.py", default_timeout=60)
    for key, value in session.items():
        at.session_state[key] = value
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at, key, name, data):
    """Send a file to the uploader with this key; return the page's error texts."""
    at.file_uploader(key=key).upload(name, data, "application/octet-stream").run()
    assert not at.exception, [e.value for e in at.exception]
    return [e.value for e in at.error]


def assert_one_error(errors, pattern):
    """Assert the page shows exactly one error, and it matches pattern (a regular expression, any case)."""
    assert len(errors) == 1, errors
    assert re.search(pattern, errors[0], re.IGNORECASE), errors[0]


@pytest.fixture
def small_limits(request, monkeypatch):
    """Lower the size limits for the "too big" cases, so a small good file is over them."""
    if "too big" in request.node.name:
        monkeypatch.setattr(modelio, "MAX_BYTES", 1000)
        monkeypatch.setattr(nn_data.formats, "MAX_BYTES", 1000)


@pytest.mark.parametrize("case", list(BAD_MODELS))
def test_a_bad_model_upload_says_why_and_keeps_the_model(case, small_limits):
    at = open_page("train")
    lab = at.session_state["session"]
    before = lab.model()
    data, words = BAD_MODELS[case]
    assert_one_error(upload(at, "model_upload", "model.npz", data), words)
    assert lab.uploaded is None and lab.model() is before
    assert at.button(key="start").disabled is False  # and the page goes on working


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_a_bad_dataset_upload_says_why_and_keeps_the_data(case, small_limits):
    at = open_page("train")
    lab = at.session_state["session"]
    at.radio(key="set_data").set_value("upload").run()
    data, words = BAD_DATA[case]
    assert_one_error(upload(at, "data_upload", "digits.csv" if "csv" in case else "digits.npz", data), words)
    assert lab.uploaded_data is None
    assert lab.data_source == "sample" and lab.data_name.startswith("bundled sample")


def my_digits(n=2):
    """Return a Session whose drawn digits are n digits of the fake set."""
    me = Session()
    for x, y in zip(FAKE["x_train"][:n], FAKE["y_train"][:n]):
        me.add_digit(x / 255, int(y))
    return me


@pytest.mark.parametrize("case", list(BAD_DIGITS))
def test_a_bad_digits_upload_says_why_and_keeps_my_digits(case, small_limits):
    me = my_digits()
    mine = me.digits
    x, y = mine.x.copy(), mine.y.copy()
    at = open_page("draw", session=me)
    data, words = BAD_DIGITS[case]
    assert_one_error(upload(at, "draw_upload", "digits.csv" if "csv" in case else "digits.npz", data), words)
    np.testing.assert_array_equal(mine.x, x)
    np.testing.assert_array_equal(mine.y, y)
    assert any("Your digits: 2" in c.value for c in at.caption)


def test_downloaded_digits_load_back_and_join_my_digits():
    saved = my_digits(3).digits
    me = my_digits(2)
    mine = me.digits
    at = open_page("draw", session=me)
    assert upload(at, "draw_upload", "my_digits.npz", saved.npz()) == []
    assert len(mine) == 5  # the file's test part repeats its training part: counted once
    np.testing.assert_array_equal(mine.x[2:], saved.x)
    np.testing.assert_array_equal(mine.y[2:], saved.y)
    assert any("Your digits: 5" in c.value for c in at.caption)
    assert not at.button(key="draw_finetune").disabled


def test_a_dataset_with_a_separate_test_part_adds_both_parts():
    mine = MyDigits()
    mine.load(GOOD_NPZ, "digits.npz")
    assert len(mine) == len(FAKE["y_train"]) + len(FAKE["y_test"])
    np.testing.assert_array_equal(mine.y, np.concatenate([FAKE["y_train"], FAKE["y_test"]]))


# --- random damage --------------------------------------------------------------------------


def damaged(data, rng):
    """Return data with a few random bytes changed, a piece cut out, or its end cut off."""
    data = bytearray(data)
    kind = rng.integers(3)
    if kind == 0:
        for i in rng.integers(len(data), size=rng.integers(1, 8)):
            data[i] = rng.integers(256)
    elif kind == 1:
        i = rng.integers(len(data))
        del data[i:i + rng.integers(1, 200)]
    else:
        del data[rng.integers(len(data)):]
    return bytes(data)


@pytest.mark.parametrize("seed", range(4))
def test_randomly_damaged_files_get_the_loaders_own_error_or_load(seed):
    rng = np.random.default_rng(seed)
    loaders = [(lambda b: load_model(b), GOOD_MODEL, ModelFileError),
               (lambda b: read_dataset(b, "digits.npz"), GOOD_NPZ, DataError),
               (lambda b: MyDigits().load(b, "digits.npz"), GOOD_NPZ, DigitsError)]
    for load, good, error in loaders:
        for _ in range(50):
            try:
                load(damaged(good, rng))
            except error as err:
                assert str(err) and "\n" not in str(err).strip()  # one plain message, no traceback text
            # anything else propagates and fails the test


def test_a_damaged_model_that_still_loads_is_a_working_model():
    """A zip's checksums catch flipped weight bytes, so what loads is what was saved."""
    rng = np.random.default_rng(7)
    X = rng.random((5, 784), dtype=np.float32)
    for _ in range(50):
        try:
            net, _ = load_model(io.BytesIO(damaged(GOOD_MODEL, rng)))
        except ModelFileError:
            continue
        np.testing.assert_array_equal(net.predict_proba(X), NET.predict_proba(X))
