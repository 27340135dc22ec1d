"""The Train page's input widgets: the settings generated from ``nn.settings.SETTINGS``, and the data.

Each field of ``TrainConfig`` becomes the widget its ``widget`` declaration names, with the
field's label, help text and bounds or choices, keyed ``set_<name>``; nothing here lists the
settings again, so a new setting appears on the page by itself.  A lesson link's values, locks and
hidden settings (``ui.lesson``) come in as arguments.  Not for the buttons that drive a run (the page).
"""

import math
import time

import streamlit as st

from nn.data import DataError, download_mnist, mnist_path
from nn.settings import SETTINGS, TrainConfig, display_name
from ui.session import sample_size
from ui.uploads import uploader

DATA_CHOICES = {"sample": "Bundled sample ({sample}, works offline)",  # its size filled in from the data
                "mnist": "Full MNIST (60,000 training + 10,000 test digits, 11 MB download)",
                "upload": "Your own file"}


def key(name, prefix="set_"):
    """Return the widget key of a setting (prefix tells apart two copies of the settings on one page)."""
    return f"{prefix}{name}"


def settings_widgets(on_change=None, values=None, locked=(), hidden=(), prefix="set_"):
    """Draw one widget per training setting; return (TrainConfig or None, error message or None).

    on_change maps a setting's name to a callback run when its widget changes (the live learning rate).
    values {name: value} (a lesson link's) replace the settings' defaults: a widget starts from them on a
    session's first run, and a person's own changes win afterwards.  Settings named in locked are shown
    disabled and keep their value; those in hidden are not drawn and keep theirs.  prefix starts every key.

    The advanced settings (``nn.settings``) sit in a "More settings" section, drawn only while it is open
    (opening it reruns the page), so a new tab builds half the widgets; closed, each setting keeps the value
    last chosen.  It starts open when values set one of them off its default, or locked names one: what a
    lesson sets is in view.
    """
    on_change, values = on_change or {}, values or {}
    chosen = {f.name: values.get(f.name, f.default) for f in SETTINGS}  # a hidden setting keeps its start

    def draw(f):
        kw = {"help": f.metadata["help"], "key": key(f.name, prefix), "on_change": on_change.get(f.name),
              "persist_state": "session", "disabled": f.name in locked}
        drawn = _widget(f, chosen[f.name], kw)
        if f.name not in locked:
            chosen[f.name] = drawn

    shown = [f for f in SETTINGS if f.name not in hidden]
    for f in shown:
        if not f.metadata["advanced"]:
            draw(f)
    if more := [f for f in shown if f.metadata["advanced"]]:
        section = st.expander(f"More settings: {', '.join(f.metadata['label'] for f in more)}",
                              key=key("more_open", prefix), on_change="rerun",
                              expanded=any(chosen[f.name] != f.default or f.name in locked for f in more))
        with section:
            for f in more:
                if section.open:
                    draw(f)
                elif f.name not in locked:  # not drawn: the value last chosen, else the start
                    chosen[f.name] = st.session_state.get(key(f.name, prefix), chosen[f.name])
    try:
        return TrainConfig(**chosen), None
    except ValueError as err:
        return None, str(err)


def _widget(f, start, kw):
    """Draw the widget field f declares (its metadata's ``widget``), starting at start, with kw; return its value."""
    m, widget = f.metadata, f.metadata["widget"]
    if widget == "layers":
        return _layers(f, start, kw)
    if widget == "conv_layers":
        return _conv_layers(f, start, kw)
    if widget == "choice":
        return st.selectbox(m["label"], m["choices"], index=m["choices"].index(start),
                            format_func=lambda c: display_name(f, c), **kw)
    if widget == "checkbox":
        return st.checkbox(m["label"], value=start, **kw)
    if widget == "log_choice":
        # A list, not a slider: without the slider's code a new tab of the Train page draws about 10% sooner
        # (README, "Figures"), and on a phone a finger picks one of 24 values more surely.
        steps = log_steps(m["lo"], m["hi"], start)
        return st.selectbox(m["label"], steps, index=steps.index(start), format_func=lambda v: f"{v:g}", **kw)
    return st.number_input(m["label"], m["lo"], m["hi"], start, m["step"], format="%g" if f.type is float else None,
                           **kw)


def _layers(f, start, kw):
    """Draw a count and one width per hidden layer, starting at widths start; return the widths as a tuple."""
    m, same = f.metadata, {"persist_state": "session", "disabled": kw["disabled"]}
    count = st.number_input(f"{m['label']} (how many)", 1, m["max_count"], len(start), 1,
                            help=f"1 to {m['max_count']} hidden layers: more layers can learn more abstract shapes "
                                 "but are harder to train.", key=kw["key"] + "_count", **same)
    cols = st.columns(count)
    return tuple(cols[i].number_input(f"Layer {i + 1} width", m["lo"], m["hi"], start[min(i, len(start) - 1)],
                                      m["step"], help=m["help"], key=f"{kw['key']}_{i}", **same)
                 for i in range(count))


def _conv_layers(f, start, kw):
    """Draw a count of conv layers (0: fully connected) and channels and kernel size for each; return the pairs."""
    m, same = f.metadata, {"persist_state": "session", "disabled": kw["disabled"]}
    k_lo, k_hi = m["kernels"]
    count = st.number_input(f"{m['label']} (how many)", 0, m["max_count"], len(start), 1, help=m["help"],
                            key=kw["key"] + "_count", **same)
    layers = []
    for i in range(count):
        channels, kernel = st.columns(2)
        # A layer the start does not give starts as LeNet's: 8 then 16 channels of 5×5 kernels.
        c0, k0 = start[i] if i < len(start) else (min(8 * 2**i, m["hi"]), min(max(5, k_lo), k_hi))
        c = channels.number_input(f"Conv {i + 1} channels", m["lo"], m["hi"], c0, m["step"],
                                  help="How many filters this layer learns: more find more kinds of stroke, slower.",
                                  key=f"{kw['key']}_{i}_channels", **same)
        k = kernel.number_input(f"Conv {i + 1} kernel", k_lo, k_hi, k0, 1,
                                help="Each filter's size in pixels (K×K); the image shrinks by K - 1, then halves.",
                                key=f"{kw['key']}_{i}_kernel", **same)
        layers.append((c, k))
    return tuple(layers)


def log_steps(lo, hi, default):
    """Return the 1-2-5 series between lo and hi (0.001, 0.002, 0.005, 0.01, ...), with default included."""
    steps = {float(f"{m}e{e}") for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
             for m in (1, 2, 5)}
    return sorted(v for v in steps | {default} if lo <= v <= hi)


def data_widgets(session):
    """Draw the dataset choice with its download button or uploader; point the session at the chosen data once there."""
    if st.session_state.pop("data_reset", False):  # a failed download falls back to the sample
        st.session_state["set_data"] = "sample"
    choice = st.radio("Dataset", list(DATA_CHOICES), format_func=lambda c: DATA_CHOICES[c].format(sample=sample_size()),
                      key="set_data", persist_state="session",
                      help="Which digits to learn from: more digits learn better but each epoch takes longer.")
    if error := st.session_state.pop("data_error", None):
        st.error(error)
    if choice == "mnist" and not mnist_path().is_file():
        st.caption("The full MNIST is not on this server yet; training uses the bundled sample until it is.")
        if st.button("Download full MNIST (11 MB)", key="download_mnist"):
            _download()
    if choice == "upload":
        uploader("Your digits file", "data_upload", ["npz", "csv", "zip", "gz"], DataError,
                 session.use_data_file,
                 help="Keras' mnist.npz, Kaggle's train.csv, or a .zip of the four MNIST IDX files.")
        if session.uploaded_data is None:
            st.caption("Until a file is read, training uses the bundled sample.")
    ready = {"sample": True, "mnist": mnist_path().is_file(), "upload": session.uploaded_data is not None}
    if error := session.choose_data(choice if ready[choice] else "sample"):
        st.error(error)


def _download():
    """Download the full MNIST with a progress bar, then rerun; on failure keep the sample and say why."""
    bar = st.progress(0.0, text="Connecting…")
    shown, start = [-1], time.monotonic()

    def progress(done, total):
        percent = min(int(100 * done / total), 100) if total else 0
        if percent != shown[0]:  # one update per percent, not one per 64 kB chunk
            shown[0] = percent
            of = f" of {total / 1e6:.1f}" if total else ""
            left = ""
            if total and done:
                left = f" · about {duration((time.monotonic() - start) / done * (total - done))} left"
            bar.progress(percent / 100, text=f"Downloading the full MNIST: {done / 1e6:.1f}{of} MB{left}")

    try:
        download_mnist(progress=progress)
    except DataError as err:
        st.session_state["data_error"], st.session_state["data_reset"] = str(err), True
    st.rerun()


def duration(seconds):
    """Return seconds as '42 s' or '3 min 5 s'."""
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"
