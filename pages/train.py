"""The Train page: choose settings, watch the network learn live, compare the session's runs, save the model.

The page never trains: its buttons call the ``Session`` (``ui.session``), whose runs train
on worker processes, and a fragment polls the run's numbers while it is live, so only the
status, metrics and chart redraw, and the page costs nothing once the run has ended.
Not for figures (``ui.figures``), the settings widgets (``ui/train_controls.py``) nor the Tune
section (``ui/tune_panel.py``).
"""

from dataclasses import asdict

import streamlit as st

from nn.explain.diagnosis import diagnose
from nn.files.model_file import ModelFileError
from nn.settings import SETTINGS
from ui import figures, frontend, lesson
from ui.class_panel import class_section
from ui.routing import through_app
from ui.runs.handle import NoWorker
from ui.session import architecture, session
from ui.sidebar import model_block
from ui.train_controls import data_widgets, duration, key, settings_widgets
from ui.tune_panel import tune_section
from ui.uploads import uploader

through_app()  # a first request to a fresh server runs this page on its own: go through app.py

POLL_SECONDS = 0.9  # the live chart redraws at least once a second, and no more often than that needs
SLOW, FAST = "🐢 slow motion", "⚡ full speed"
LABELS = {f.name: f.metadata["label"] for f in SETTINGS}  # setting name -> its label on the page
me = session()


def apply_lr():
    """Give the running run the learning rate just chosen: it takes effect at its next step."""
    me.set_lr(st.session_state[key("lr")])


def apply_speed():
    """Train the running run, and the next ones, in slow motion or at full speed, as just chosen."""
    me.set_pace(st.session_state.speed == SLOW)


def buttons(config):
    """Draw the run's buttons and act on the one pressed."""
    run = me.run
    alive = me.training
    paused = alive and run.paused
    row = st.container(horizontal=True, vertical_alignment="center")
    start = row.button("Start training", key="start", type="primary", disabled=alive or config is None,
                       help="Train fresh weights with the settings beside it (Stop or Reset the current run first).")
    pause = row.button("Pause", key="pause", disabled=not alive or paused, help="Hold the run; the weights stay.")
    resume = row.button("Resume", key="resume", disabled=not paused, help="Let a paused run go on.")
    ended = run is not None and not alive
    step = row.button("Step a new run" if ended else "Step", key="step",
                      disabled=alive and not paused or (not alive and config is None),
                      help="The last run has ended: this starts a new run from fresh random weights with the settings "
                           "beside it, and holds it after one batch or epoch." if ended else
                           "Run one more batch or epoch (as chosen beside it), then hold: watch learning step by step.")
    size = row.segmented_control("Step size", ["batch", "epoch"], default="batch", key="step_size",
                                 required=True, label_visibility="collapsed", persist_state="session")
    row.segmented_control("Speed", [SLOW, FAST], default=SLOW, key="speed", required=True, on_change=apply_speed,
                          label_visibility="collapsed", persist_state="session",
                          help="Slow motion spreads a run over about half a minute, so you can watch it learn; "
                               "full speed trains as fast as the server can.")
    stop = row.button("Stop", key="stop", disabled=not alive,
                      help="End the run; its weights stay, and its test accuracy and mistakes are shown.")
    reset = row.button("Reset", key="reset", disabled=run is None,
                       help="Stop and forget the current run; the next Start begins from fresh random weights.")
    actions = {
        "start": (start, lambda: me.start_run(config, from_upload=st.session_state.get("continue_uploaded", False))),
        "pause": (pause, lambda: run.pause()), "resume": (resume, lambda: run.resume()),
        "step": (step, lambda: me.step(config, size)), "stop": (stop, lambda: run.stop()), "reset": (reset, me.reset),
    }
    pressed = [act for clicked, act in actions.values() if clicked]
    if not pressed:
        return
    try:
        pressed[0]()
    except NoWorker as err:  # the pool is down: say so, and keep the page as it was
        st.error(str(err))
        return
    st.rerun()  # redraw the buttons for the run's new state


def status_line(run, found):
    """Say what the run is doing, and why it ended if it did not finish; found are its Diagnoses."""
    status = run.status
    if status == "queued":
        ahead = run.queued_ahead or 0
        st.info(f"Queued, {ahead} ahead of you: the server trains a few runs at a time and yours is next in turn."
                if ahead else "Queued: next in line for the server's CPU.", icon="⏳")
    elif status == "running":
        st.info("Training. You can visit Weights or Draw meanwhile: it keeps learning.", icon="🏃")
    elif status == "paused":
        st.info(f"Paused at step {run.step_count:,}. Resume, or Step a batch or an epoch at a time.", icon="⏸️")
    elif status == "finishing":
        st.info("Measuring the test accuracy…", icon="🧮")
    elif status == "done" and any(d.kind != "overfitting" for d in found):
        st.warning(f"Ran all {run.epoch:g} epochs in {duration(run.seconds)}, but it did not learn: see why below.",
                   icon="⚠️")
    elif status == "done":
        st.success(f"Done: {run.epoch:g} epochs in {duration(run.seconds)}.", icon="✅")
    elif status == "stopped":
        st.info(f"Stopped after {run.epoch:.1f} epochs; the weights are kept.", icon="⏹️")
    elif status == "diverged":
        st.error(f"Training stopped because the loss blew up. {run.message}", icon="💥")
    elif status == "failed":
        st.error(run.error, icon="❌")
    if run.notice:
        st.warning(run.notice, icon="🔁")
    for d in found:
        st.error(d.text(), icon="🩺")


def live_view():
    """Draw the run's status, progress, metrics and curves; poll them while the run is live."""
    poll = me.changing()

    @st.fragment(run_every=POLL_SECONDS if poll else None)
    def live():
        run = me.run
        if run is None:
            st.info("Choose the settings (beside this on a wide screen, below it on a phone) and press "
                    "**Start training** (or **Step** to go one batch at a time).")
            return
        status_line(run, diagnose(run.history, run.config, run.status))
        share, left = run.progress()
        speed = f" · {run.step_count / run.seconds:,.0f} steps/s" if run.seconds else ""
        eta = f" · about {duration(left)} left" if left is not None and run.alive else ""
        st.progress(min(share, 1.0), text=f"Step {run.step_count:,} of {run.total_steps:,}{speed}{eta}")
        last = run.history[-1] if run.history else {}
        c = st.columns(3)
        c[0].metric("Epoch", f"{run.epoch:.1f} / {run.config.epochs}")
        c[1].metric("Train loss", f"{last['train_loss']:.3f}" if last else "–")
        c[2].metric("Validation accuracy", f"{last['val_acc']:.1%}" if last else "–",
                    help=f"Share of {me.validated_on(run)} (held out of training) read right, measured at each "
                         "report.")
        frontend.live_chart(figures.training.curves(run.history, run.id), key="curves")
        if poll and not me.changing():
            st.rerun()  # the run has settled: redraw the whole page once (buttons, results) and stop polling

    live()


def results(run):
    """Show a finished run's test accuracy, confusion matrix and the test digits it misread."""
    card, test = me.scorecard(run), me.splits()
    X_test, y_test = test.X_test, test.y_test
    st.subheader("Results")
    left, right = st.columns([2, 3])
    with left:
        st.metric("Test accuracy", f"{run.test_acc:.2%}",
                  help=f"Share of the {len(y_test):,} test digits, never seen in training, read right.")
        st.image(figures.training.confusion(card.confusion), output_format="PNG",
                 caption=f"Confusion matrix of the {len(y_test):,} test digits")
    with right:
        st.markdown(f"**Misread test digits** ({card.misread:,}; the most confident mistakes first)")
        if len(card.wrong):
            captions = [f"said {said} ({p:.0%}), is {y_test[i]}"
                        for i, said, p in zip(card.wrong, card.said, card.confidence)]
            st.image(figures.digits.pictures(X_test[card.wrong], size=84), caption=captions, width=84)
        else:
            st.caption("None: every test digit was read right.")


def percent(share):
    """Return an accuracy as the runs table shows it: '–' while it is not measured."""
    return "–" if share is None else f"{share:.1%}"


def past_runs():
    """Show the session's runs as a table and their validation curves overlaid."""
    st.subheader("Runs of this session")
    rows = [{**s, "val acc": percent(s["val acc"]), "test acc": percent(s["test acc"])}
            for s in me.runs_table()]
    st.dataframe(rows, hide_index=True, column_config={
        "val acc": st.column_config.TextColumn(help="On its data's validation digits, at its last report."),
        "test acc": st.column_config.TextColumn(help="On its data's test digits, measured once the run ends.")})
    curves = [(f"{r.id[:6]} {r.config.optimizer} lr {r.config.lr:g}", r.history) for r in me.runs]
    st.plotly_chart(figures.training.compare(curves), key="compare", config=figures.STATIC)


def saved_runs():
    """List this browser's saved runs (they survive reloads and closed tabs); open or delete one."""
    saved = me.saved_runs()
    if not saved:
        return
    st.subheader("Saved runs of this browser")
    st.caption("Every run is saved as it trains, so a reload or a closed tab loses nothing. "
               "This browser finds them again from any link to the app; elsewhere, open this page's address.")
    rows = {}
    for run_id, s in saved:
        status, epoch = me.saved_status(run_id, s)
        rows[run_id] = (f"{run_id[:6]} · {status} · {s['extra']['data_name']} · "
                        f"{architecture(s['config']['hidden'], conv=s['config'].get('conv', ()))}"
                        f" · epoch {epoch:.1f} of {s['config']['epochs']}")
    row = st.container(horizontal=True, vertical_alignment="bottom")
    chosen = row.selectbox("Saved run", list(rows), format_func=rows.get, key="saved_run")
    if row.button("Open", key="open_saved", disabled=me.training,
                  help="Make it the session's run (an unfinished one carries on training)."):
        me.open_run(chosen)
        st.rerun()
    if row.button("Delete", key="delete_saved", disabled=me.run is not None and me.run.id == chosen,
                  help="Remove the saved run from the server for good."):
        me.delete_saved(chosen)
        st.rerun()


def lesson_settings():
    """Draw the settings as this session's lesson link sets them, say what the link set, and keep them in the URL."""
    link = me.lesson
    if ignored := lesson.notice(me.link_notes):
        st.info(lesson.markdown_text(ignored), icon="🔗")
    config, error = settings_widgets(on_change={"lr": apply_lr}, values=link.values, locked=link.locked,
                                     hidden=link.hidden)
    if set_by_lesson := link.summary():
        st.caption(set_by_lesson)
    if error:
        st.error(error)
    else:
        me.keep_settings(config)
    return config


def share_link(config):
    """Offer a link that opens the Train page with these settings (never this browser's id or runs).

    The popover's contents are drawn only while it is open (opening it reruns the page).
    """
    box = st.popover("Copy a link to these settings", icon="🔗", disabled=config is None, key="share_open",
                     on_change="rerun", help="For a lesson or a friend: the link opens the Train page with the "
                                             "settings above.")
    with box:
        if not box.open:
            return
        locked = st.multiselect("Lock in the link", list(LABELS), default=[n for n in LABELS if n in me.lesson.locked],
                                key="link_lock", format_func=LABELS.get, persist_state="session",
                                help="Shown to whoever opens the link, but not changeable.")
        hidden = st.multiselect("Hide in the link", list(LABELS), default=[n for n in LABELS if n in me.lesson.hidden],
                                key="link_hide", format_func=LABELS.get, persist_state="session",
                                help="Not shown at all; the link's value is used.")
        if config is not None:
            st.code(lesson.link(st.context.url or "", asdict(config), locked, hidden, me.lesson_id), language=None,
                    wrap_lines=True)
            st.caption("Copy it with the button at its right. It carries the settings only: your runs stay "
                       "with this browser.")


def take_home(model, running):
    """Offer the model's training as a standalone NumPy script and as a Jupyter notebook."""
    why = ("Pause or stop the run first." if running else
           "This model's file does not record how it was trained." if model.training is None else None)
    name = f"mnist-{model.net.describe()}"
    row = st.container(horizontal=True)
    # on_click="ignore" on all three: a download changes nothing on the page, and the rerun a click started used to
    # leave the next button showing its spinner, disabled, for good (one browser test run in three).
    row.download_button("Download as a script (.py)", lambda: model.take_home("script"), key="download_script",
                        on_click="ignore",
                        file_name=f"{name}.py", mime="text/x-python", disabled=why is not None,
                        help=why or "The run as one Python file that uses only NumPy, in the classic notebook's "
                        "style, its settings at the top: `python mnist-….py mnist.npz` (or Kaggle's train.csv) "
                        "trains it again to the same test accuracy.")
    row.download_button("Download as a notebook (.ipynb)", lambda: model.take_home("notebook"), key="download_notebook",
                        on_click="ignore",
                        file_name=f"{name}.ipynb", mime="application/x-ipynb+json", disabled=why is not None,
                        help=why or "The same code as a Jupyter notebook, its learning curves plotted at the end.")


def model_files():
    """Offer the active model as an .npz download and as code, and take an uploaded model to use or continue from.

    The section's contents are drawn only while it is open (opening it reruns the page).
    """
    section = st.expander("Model files: download, upload, take the code home", key="files_open", on_change="rerun")
    with section:
        if not section.open:
            return
        model = me.model()
        running = me.run is not None and me.run.status == "running"
        st.download_button("Download the model (.npz)", model.file_bytes, key="download_model", on_click="ignore",
                           file_name=f"mnist-{model.net.describe()}.npz", mime="application/octet-stream",
                           disabled=running, help="Pause or stop the run first." if running else
                           f"Save {model.source_text} ({model.architecture}) to load later here or with "
                           "`python -m nn`.")
        take_home(model, running)
        uploader("Upload a model (.npz)", "model_upload", ["npz"], ModelFileError, me.use_model_file,
                 help="A model saved by this app: use it on the Weights and Draw pages, or continue training it.")
        st.checkbox("Continue from the upload", key="continue_uploaded", disabled=me.uploaded is None,
                    persist_state="session",
                    help="Start from the uploaded model's weights instead of random ones "
                         "(its layer sizes and activation replace those settings).")


st.title("Train")
# Keyed, so that on a phone ui/frontend/train_layout.css can put the buttons and the chart above the settings.
settings, main = st.container(key="train_layout").columns([1.25, 3], gap="large")
with settings:
    class_section(me)
    data_widgets(me)
    st.divider()
    config = lesson_settings()
    st.caption("Settings apply at the next Start; the learning rate also changes a running run at once.")
    share_link(config)
    st.divider()
    model_files()
with main:
    buttons(config)
    live_view()
    if me.run is not None and not me.training and me.run.test_acc is not None:
        results(me.run)
tune_section(me, config)
if me.runs:
    past_runs()
saved_runs()
model_block(me)  # last: the data choice and an upload above may have changed the active model
frontend.preload_plotly()  # the first run's live chart needs Plotly: load it while the settings are read
