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

from nn import data as nn_data
from nn.data import DataError, read_dataset
from nn.digits.finetune import MAX_DIGITS, DigitsError, MyDigits
from nn.files import model_file as modelio
from nn.files.model_file import ModelFileError, load_model, model_bytes
from nn.network import Network
from tests.helpers import open_section
from ui import session as state

NET = Network(hidden=(32, 16), seed=3)
GOOD_MODEL = model_bytes(NET)
# name: (how to make the file, given the Files maker of conftest.py; a pattern of the message)
BAD_MODELS = {
    "empty": (lambda f: b"", "empty"),
    "random bytes": (lambda f: np.random.default_rng(1).bytes(5000), "not a model file"),
    "truncated npz": (lambda f: GOOD_MODEL[: len(GOOD_MODEL) // 2], "damaged or cut off"),
    "pickled npz": (lambda f: f.npz(**f.model_arrays(NET, W1=np.array([{"evil": 1}], dtype=object))), "never loaded"),
    "wrong shape": (lambda f: f.npz(**f.model_arrays(NET, W2=np.zeros((32, 17), np.float32))), "shape"),
    "wrong dtype": (lambda f: f.npz(**f.model_arrays(NET, b1=np.zeros(32, np.int64))), "floating-point"),
    "a dataset, not a model": (lambda f: f.fake_npz(), "no 'metadata'"),
    "a CSV": (lambda f: b"label,pixel0,pixel1\n1,0,0\n", "not a model file"),
}
# The kinds of broken dataset (conftest.BAD_DATASETS) also sent through the pages; test_data.py tries them all.
DATA_CASES = ["empty", "random bytes", "truncated npz", "pickled objects", "wrong image shape", "text pixels",
              "label 10", "negative label", "csv missing pixels", "csv without label"]
UPLOADERS = {"model": ("train", "model_upload"), "dataset": ("train", "data_upload"), "digits": ("draw", "draw_upload")}
SECTIONS = {"model_upload": "files_open", "draw_upload": "draw_teach_open"}  # what holds an uploader drawn on demand


def upload(at, key, name, data):
    """Send a file to the uploader with this key (its section opened first, as a person does); return the errors."""
    if key in SECTIONS:
        open_section(at, SECTIONS[key])
    at.file_uploader(key=key).upload(name, data, "application/octet-stream").run()
    assert not at.exception, [e.value for e in at.exception]
    return [e.value for e in at.error]


def assert_one_error(errors, pattern):
    """Assert the page shows exactly one error, and it matches pattern (a regular expression, any case)."""
    assert len(errors) == 1, errors
    assert re.search(pattern, errors[0], re.IGNORECASE), errors[0]


def file_name(case):
    """Return the name a file of this case is sent under."""
    return "digits.csv" if "csv" in case else "digits.npz"


@pytest.mark.parametrize("case", list(BAD_MODELS))
def test_a_bad_model_upload_says_why_and_keeps_the_model(case, open_page, files):
    at = open_page("train")
    me = at.session_state["session"]
    before = me.model()
    make, words = BAD_MODELS[case]
    assert_one_error(upload(at, "model_upload", "model.npz", make(files)), words)
    assert me.uploaded is None and me.model() is before
    assert at.button(key="start").disabled is False  # and the page goes on working


@pytest.mark.parametrize("bad_dataset", DATA_CASES, indirect=True)
def test_a_bad_dataset_upload_says_why_and_keeps_the_data(request, bad_dataset, open_page):
    at = open_page("train")
    me = at.session_state["session"]
    at.radio(key="set_data").set_value("upload").run()
    data, words = bad_dataset
    assert_one_error(upload(at, "data_upload", file_name(request.node.callspec.params["bad_dataset"]), data), words)
    assert me.uploaded_data is None
    assert me.data_source == "sample" and me.data_name.startswith("bundled sample")


def my_digits(sample, n=2, start=0):
    """Return a MyDigits holding n real digits of the bundled sample."""
    mine = MyDigits()
    for x, y in zip(sample.x_train[start:start + n], sample.y_train[start:start + n]):
        mine.add(x / 255, int(y))
    return mine


def holding(mine):
    """Return a Session whose drawn digits are ``mine``."""
    me = state.Session()
    me.digits = mine
    return me


def assert_digits_kept(at, mine, x, y):
    """Assert my digits are still exactly x, y, and the page still counts them."""
    np.testing.assert_array_equal(mine.x, x)
    np.testing.assert_array_equal(mine.y, y)
    assert any(f"Your digits: {len(y)}" in c.value for c in at.caption)


@pytest.mark.parametrize("bad_dataset", DATA_CASES, indirect=True)
def test_a_bad_digits_upload_says_why_and_keeps_my_digits(request, bad_dataset, open_page, sample):
    mine = my_digits(sample)
    x, y = mine.x.copy(), mine.y.copy()
    at = open_page("draw", session={"session": holding(mine)})
    data, words = bad_dataset
    assert_one_error(upload(at, "draw_upload", file_name(request.node.callspec.params["bad_dataset"]), data), words)
    assert_digits_kept(at, mine, x, y)


def test_too_many_digits_are_refused_and_mine_kept(open_page, files, sample):
    mine = my_digits(sample)
    x, y = mine.x.copy(), mine.y.copy()
    at = open_page("draw", session={"session": holding(mine)})
    data = files.fake_npz(x_train=np.zeros((MAX_DIGITS, 28, 28), np.uint8), y_train=np.zeros(MAX_DIGITS, np.uint8))
    assert_one_error(upload(at, "draw_upload", "digits.npz", data), f"at most {MAX_DIGITS:,}")
    assert_digits_kept(at, mine, x, y)


@pytest.mark.parametrize("uploader", list(UPLOADERS))
def test_a_file_over_the_size_limit_is_refused_on_every_uploader(uploader, open_page, files, monkeypatch):
    monkeypatch.setattr(modelio, "MAX_BYTES", 1000)
    monkeypatch.setattr(nn_data.formats, "MAX_BYTES", 1000)
    page, key = UPLOADERS[uploader]
    at = open_page(page)
    if uploader == "dataset":
        at.radio(key="set_data").set_value("upload").run()
    good = GOOD_MODEL if uploader == "model" else files.fake_npz()  # a good file, over the lowered limit
    assert_one_error(upload(at, key, "file.npz", good), "larger than")
    me = at.session_state["session"]
    assert me.uploaded is None and me.uploaded_data is None


def test_downloaded_digits_load_back_and_join_my_digits(open_page, sample):
    saved = my_digits(sample, 3, start=10)
    mine = my_digits(sample)
    at = open_page("draw", session={"session": holding(mine)})
    assert upload(at, "draw_upload", "my_digits.npz", saved.npz()) == []
    assert len(mine) == 5  # the file's test part repeats its training part: counted once
    np.testing.assert_array_equal(mine.x[2:], saved.x)
    np.testing.assert_array_equal(mine.y[2:], saved.y)
    assert any("Your digits: 5" in c.value for c in at.caption)
    assert not at.button(key="draw_finetune").disabled


def test_a_dataset_with_a_separate_test_part_adds_both_parts(files):
    mine = MyDigits()
    mine.load(files.fake_npz(), "digits.npz")
    fake = files.fake_digits()
    assert len(mine) == len(fake["y_train"]) + len(fake["y_test"])
    np.testing.assert_array_equal(mine.y, np.concatenate([fake["y_train"], fake["y_test"]]))


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
def test_randomly_damaged_files_get_the_loaders_own_error_or_load(seed, files):
    rng = np.random.default_rng(seed)
    good_npz = files.fake_npz()
    loaders = [(lambda b: load_model(b), GOOD_MODEL, ModelFileError),
               (lambda b: read_dataset(b, "digits.npz"), good_npz, DataError),
               (lambda b: MyDigits().load(b, "digits.npz"), good_npz, DigitsError)]
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
