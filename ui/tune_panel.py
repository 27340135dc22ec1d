"""The Train page's Tune section: choose settings to vary and a budget, start, watch the trials, see the pick.

Drawn by one call from ``pages/train.py``; every widget key starts with ``tune_``.  The
trials run as the session's saved runs (``Session.start_study``, ``ui.tuning.Study``); this
module only draws widgets, the table, the figure and the sentences.  Not for choosing,
stopping or scoring trials (``nn.tune``, ``ui.tuning``).
"""

from dataclasses import replace

import streamlit as st

from nn.settings import SETTINGS
from nn.tune import TUNABLE, parse
from ui import figures

POLL_SECONDS = 1.0
OPEN_KEY = "tune_open"  # the section's open state, in st.session_state
EXAMPLES = {"hidden": "64, 128, 256", "layers": "1, 2", "lr": "0.0001, 0.001, 0.01", "l2": "0, 0.0001, 0.001",
            "dropout": "0, 0.2", "batch_size": "32, 128", "optimizer": "adam, rmsprop"}
LABELS = {**{f.name: f.metadata["label"] for f in SETTINGS if f.name in TUNABLE},
          "hidden": "Hidden width (every layer)", "layers": "Number of hidden layers"}


def tune_section(me, base):
    """Draw the Tune section for Session me; base is the settings on the left (None while they are invalid).

    Its contents are drawn only while the section is open (opening it reruns the page), so a new tab
    of the Train page does not build its twenty widgets; they keep their values while it is closed.
    """
    section = st.expander("Tune: try many settings, pick the best on the validation set", key=OPEN_KEY,
                          expanded=me.study is not None, on_change="rerun")
    with section:
        if not section.open:
            return
        st.caption("Each trial starts from the settings on the left with the values below put in; leave a box "
                   "empty to keep its setting. Every trial is a saved run you can open later.")
        random = st.toggle("Random draws instead of every combination", key="tune_random", persist_state="session",
                           help="Each draw takes a number between the smallest and largest value given (on a log "
                                "scale for width, learning rate, L2 and batch size), and an optimiser or layer count "
                                "among those given. Random search covers wide ranges with fewer trials than a grid.")
        cols = st.columns(2)
        texts = {name: cols[i % 2].text_input(LABELS[name], key=f"tune_{name}", placeholder=EXAMPLES[name],
                                              persist_state="session", help="Values separated by commas.")
                 for i, name in enumerate(TUNABLE)}
        row = st.columns(3, vertical_alignment="bottom")
        draws = row[0].number_input("Random draws", 1, 100, 8, key="tune_draws", disabled=not random,
                                    persist_state="session")
        epochs = row[1].number_input("Epochs per trial", 1, 200, 3, key="tune_epochs", persist_state="session")
        halving = row[2].checkbox("Stop laggards early", key="tune_halving", persist_state="session",
                                  help="Successive halving: at half the epochs (and a quarter, …) a trial goes on "
                                       "only if it is in the better half of the trials measured there.")
        space, error = _space(texts)
        if error:
            st.error(error)
        busy = me.study is not None and me.study.running
        if st.button("Start tuning", key="tune_start", type="primary", disabled=base is None or bool(error)
                     or not space or busy, help="Give values for at least one setting." if not space else
                     "Trials train two at a time, taking turns with everyone's runs."):
            try:
                me.start_study(replace(base, epochs=epochs), space, draws if random else 0, halving)
            except ValueError as err:
                st.error(str(err))
            else:
                st.rerun()
        if me.study is not None:
            _study_view(me)


def _space(texts):
    """Return ({name: values} of the boxes filled in, the first error or None)."""
    space = {}
    for name, text in texts.items():
        if text.strip():
            try:
                space[name] = parse(name, text)[1]
            except ValueError as err:
                return space, str(err)
    return space, None


def _study_view(me):
    """Draw the trials' table, the figure and the best so far; poll while the study runs; then the pick."""
    study = me.study
    poll = study.running

    @st.fragment(run_every=POLL_SECONDS if poll else None)
    def view():
        study.update()
        rows = study.rows()
        best = study.best_so_far()
        if best is not None and study.running:
            st.metric("Best so far (validation accuracy)", f"{study.val_acc(best):.1%}",
                      help="Of the reports so far; trials still training may pass it.")
            st.caption(f"Trial {best + 1}: `{study.settings_of(best)}`. The study goes on if you leave this "
                       "page; its trials are in the saved runs.")
        st.dataframe(rows, hide_index=True, key="tune_table",
                     column_config={"val acc": st.column_config.NumberColumn(format="percent")})
        st.plotly_chart(figures.tuning.parallel(rows, study.names), key="tune_parallel",
                        config={"displayModeBar": False})
        if not study.running:
            _picked(study)
            if poll:
                st.rerun()  # the study has ended: redraw the whole page once (its button) and stop polling

    view()


def _picked(study):
    """Say which trial was picked, its one test score, and, if asked, what peeking would have claimed."""
    chosen = study.chosen()
    if chosen is None:
        st.warning("No trial trained to the end, so none was picked: try smaller learning rates.")
        return
    test = study.test_acc()
    st.success(f"Picked trial {chosen + 1} (`{study.settings_of(chosen)}`): validation accuracy "
               f"{study.val_acc(chosen):.1%}, test accuracy {test:.1%}. It was picked on the validation set; "
               "the test set was used once, for this trial alone, so its test accuracy is a fair estimate.")
    if st.toggle("Show what peeking would have done", key="tune_peek",
                 help="Score every trial on the test set and keep the best: what not to do."):
        peeked, acc = study.peek()
        claim = (f"would report trial {peeked + 1} at {acc:.1%} (against {test:.1%} picked fairly)"
                 if peeked != chosen else f"would report the same trial at the same {acc:.1%} this time, by luck")
        st.warning(f"Scoring all {len(study.runs)} trials on the test set and keeping the best {claim}. Such a "
                   "number overstates: the maximum of many noisy test scores rewards the trial that got lucky on "
                   "these particular test digits, and once the test set has chosen the model it is no longer "
                   "unseen, so new digits would be read less well than it claims.")
