"""Lab page: break a copy of the model and watch what it still reads; damage the test digits; let it say "not sure".

Layout only: the maths is ``nn.explain.lab`` and ``nn.digits.augment.damage``, the state and
the background work ``Session.lab`` (``ui.lab``), the figures ``ui.figures``.  Every change
works on a copy: the session's model is never written to.  The three sections are tabs, and only
the open one is drawn, so a new tab builds one section's widgets and pictures, not three.  The two
long jobs ("which units matter?" and the damage tests) run on the worker pool; each polls in a
fragment of its own while it runs and its section is open, so the rest of the page stays as it is.
"""

import streamlit as st

from nn.digits.augment import DAMAGES, damage
from nn.explain.lab import THRESHOLDS, coverage
from ui import figures
from ui.lab import compared
from ui.routing import through_app
from ui.session import bundled_models, session
from ui.sidebar import model_block

through_app()  # a first request to a fresh server runs this page on its own: go through app.py

SESSION, PRETRAINED = "Session model", "Pretrained model"
SECTIONS = ["🔧 Break it", "🌀 Damage tests", "🤷 \"I don't know\""]
POLL_SECONDS = 0.5
EXAMPLE_SIZE = 56  # px of each damaged example digit

me = session()
lab = me.lab

def on(action, key, transform=lambda v: v):
    """Return an on_change callback that hands widget key's value (transformed) to action."""
    return lambda: action(transform(st.session_state[key]))


def breaking_controls(net):
    """Show what breaks the copy, one kind at a time (units off, a layer's scale and noise, pruning, temperature).

    Only the chosen kind's widgets are drawn: a new tab builds two or three widgets, not eight, and on a
    phone, where the controls sit above the accuracy, the accuracy stays near them.  The changes of every
    kind stay in force; the line under the controls lists them.
    """
    kind = st.pills("What to break", list(KNOBS), format_func=lambda k: KNOBS[k][0], default="units", key="lab_knob",
                    required=True, persist_state="session", wrap=True,  # a narrow column: a second row, not a cut
                    help="Each kind of damage has its own controls; what you did with the others stays.")
    KNOBS[kind][1](net, lab.generation)
    st.caption(broken_text(lab.changes))
    st.button("Reset", key="lab_reset", on_click=lab.reset, help="Back to the original model.")


def units_controls(net, gen):
    """Show the choice of a hidden layer and of its units to switch off; gen is part of the keys (Lab.generation)."""
    hidden = net.sizes[1:-1]
    if not hidden:
        st.caption("This network has no hidden layer: no units to switch off.")
        return
    k = st.selectbox("Hidden layer", range(1, len(hidden) + 1), key="lab_layer", persist_state="session",
                     format_func=lambda k: f"hidden layer {k} ({hidden[k - 1]} units)")
    key = f"lab_off_{k}_{gen}"
    st.multiselect("Switch units off", range(hidden[k - 1]), default=lab.changes.off.get(k, ()), key=key,
                   on_change=on(lambda units: lab.switch_off(k, units), key),
                   help="A unit switched off sends nothing to the next layer.")


def weights_controls(net, gen):
    """Show the choice of a weight layer, and how much to scale its weights and add noise to them."""
    name = st.selectbox("Weight layer", list(net.weights()), key="lab_weights", persist_state="session",
                        help="W1 takes the pixels in; the last one gives the ten digits' scores.")
    key = f"lab_scale_{name}_{gen}"
    st.slider("Scale its weights", 0.0, 2.0, lab.changes.scale.get(name, 1.0), 0.05, key=key,
              on_change=on(lambda v: lab.set_scale(name, v), key))
    key = f"lab_noise_{name}_{gen}"
    st.slider("Add noise to its weights", 0.0, 2.0, lab.changes.noise.get(name, 0.0), 0.05, key=key,
              on_change=on(lambda v: lab.set_noise(name, v), key),
              help="Gaussian noise, in units of the spread (standard deviation) of that layer's weights.")


def prune_control(_, gen):
    """Show how large a share of every weight layer's smallest weights to set to 0."""
    key = f"lab_prune_{gen}"
    st.slider("Prune the smallest weights", 0, 100, round(lab.changes.prune * 100), 5, key=key, format="%d%%",
              on_change=on(lab.set_prune, key, lambda v: v / 100),
              help="In every weight layer, this share of its weights closest to 0 are set to 0.")


def temperature_control(_, gen):
    """Show the softmax temperature."""
    key = f"lab_temperature_{gen}"
    st.slider("Softmax temperature", 0.1, 5.0, lab.changes.temperature, 0.1, key=key,
              on_change=on(lab.set_temperature, key),
              help="The scores are divided by it before softmax: above 1 the network is less sure, below 1 more; "
                   "its answers stay the same.")


# What to break: each kind's label and the function that draws its controls (the network, Lab.generation).
KNOBS = {"units": ("Units", units_controls), "weights": ("Weights", weights_controls),
         "prune": ("Prune", prune_control), "temperature": ("Temperature", temperature_control)}


def broken_text(changes):
    """Return, in words, every change made to the copy (Changes), or that there is none."""
    parts = [f"{len(units)} unit{'s' if len(units) > 1 else ''} of hidden layer {k} off"
             for k, units in sorted(changes.off.items())]
    parts += [f"{name} scaled ×{factor:g}" for name, factor in changes.scale.items()]
    parts += [f"noise {sigma:g} on {name}" for name, sigma in changes.noise.items()]
    if changes.prune:
        parts.append(f"{changes.prune:.0%} of the weights pruned")
    if changes.temperature != 1:
        parts.append(f"temperature {changes.temperature:g}")
    return f"Broken so far: {'; '.join(parts)}." if parts else "Nothing broken yet: the copy is the original."


def readings(base, X, y):
    """Return the (original, broken copy) Readings of the test digits X, y; start again if the model changed shape."""
    try:
        return lab.read(base.net, X, y)
    except ValueError as err:  # the session's model changed shape since (a new run): start again from it
        st.warning(f"{err} The lab started again from the model as it is now.")
        lab.reset()
        return lab.read(base.net, X, y)


def show_breaking(base, X, y):
    """Show the neuron lab: controls on the left, what the broken copy reads on the right."""
    st.header("Neuron lab: break it")
    st.caption(f"Everything here happens to a copy of the {base.source_text}; the model itself is never changed. "
               f"Accuracy on the {len(y):,} test digits of the {me.data_name_text}.")
    original, now = readings(base, X, y)
    left, right = st.columns([1, 2])
    with left:
        breaking_controls(base.net)
    with right:
        a, b = st.columns(2)
        a.metric("Test accuracy", f"{now.accuracy:.2%}", f"{now.accuracy - original.accuracy:+.2%} vs the original",
                 delta_color="normal" if now.accuracy != original.accuracy else "off")
        p = lab.read_drawing(base.net)
        if p is not None:
            b.metric("Reads your last drawing as", int(p.argmax()))
            b.caption(f"{p.max():.1%} sure")
        else:
            b.caption("Draw a digit on the Draw page: the lab reads it here too.")
        st.image(figures.training.confusion(now.confusion), output_format="PNG",
                 caption=f"Confusion matrix of the {len(y):,} test digits")
        if p is not None:
            st.plotly_chart(figures.drawing.probability_bars(p, int(p.argmax())), key="lab_drawing_probs",
                            config=figures.STATIC)
    show_ranking(base, X, y)


def show_ranking(base, X, y):
    """Show "which units matter?": start it, its progress, its answer."""
    hidden = base.net.sizes[1:-1]
    if not hidden:
        return
    st.subheader("Which units matter?")
    st.caption("Each unit of a hidden layer is switched off alone and the test accuracy measured again; "
               "the units whose loss costs the most come first. It runs on the worker processes.")
    k = st.session_state.get("lab_layer", 1)  # the layer chosen under Units, kept while another kind is shown
    if not 1 <= k <= len(hidden):  # chosen for a model with more hidden layers than this one
        k = 1
    st.button(f"Rank the units of hidden layer {k}", key="lab_rank",
              on_click=lambda: lab.rank_units(base.net, X, y, k))
    st.fragment(job_view, run_every=POLL_SECONDS if polling_ranking else None)(
        "ranking", polling_ranking, lambda layer: f"Switching off each unit of hidden layer {layer}", show_drops)


def running(pair):
    """Return True while a (what, Job) pair's job is still going."""
    return pair is not None and not pair[1].done


def job_view(name, polling, doing, show):
    """Show the progress of the lab's job ``name`` ('ranking' or 'damage'), or show(what, result) once it is done.

    doing(what) says what it does.  Reruns the page when a job it was polling ends, so the polling stops.
    """
    pair = getattr(lab, name)
    if pair is None:
        return
    what, job = pair
    if not job.done:
        st.progress(job.progress, text=f"{doing(what)}… {job.progress:.0%}")
        return
    if polling:
        st.rerun()
    if job.error:
        st.error(job.error)
        return
    show(what, job.result())


def show_drops(layer, drops):
    """Show the units whose loss costs most accuracy, drops (units,) of hidden layer ``layer``."""
    st.plotly_chart(figures.lab.unit_drops(drops, layer), key="lab_drops", config=figures.STATIC)
    st.caption(f"{int((drops > 0).sum())} of {len(drops)} units cost accuracy when off; "
               f"{int((drops < 0).sum())} help it when off.")


def show_curves(_, curves):
    """Show the damage curves {model: {damage: accuracies}}."""
    st.plotly_chart(figures.lab.damage_curves(curves, DAMAGES), key="lab_damage_curves", config=figures.STATIC)


def show_damage(X, y):
    """Show the damage tests: start them, their progress, the curves and example digits."""
    st.header("Damage tests")
    st.caption("How accuracy falls as the test digits are damaged, with the same code that varies training digits "
               "when a run augments. A network that never saw shifted or rotated digits falls fastest: this is why "
               "MNIST centres its digits, and why augmentation helps.")
    nets = compared(me.model(), bundled_models(), me.uploaded)
    st.button("Run the damage tests", key="lab_damage", on_click=lambda: lab.test_damage(nets, X, y),
              help=f"{', '.join(nets)}, on the {len(y):,} test digits. It runs on the worker processes.")
    st.fragment(job_view, run_every=POLL_SECONDS if polling_damage else None)(
        "damage", polling_damage, lambda _: "Damaging the test digits", show_curves)
    st.subheader("What each damage does")
    for kind, (strengths, _, unit) in DAMAGES.items():
        images = [damage(X[:1], kind, s)[0] for s in strengths]
        row = figures.digits.pictures(images, size=EXAMPLE_SIZE, per_row=len(images), gap=4)
        st.image(row, width=row.shape[1],  # its own pixels, so every row has the same scale
                 caption=f"{kind}: " + ", ".join(f"{s:g}" for s in strengths) + f" ({unit})")


def show_not_sure(base, X, y):
    """Show the "I don't know" threshold and the accuracy–coverage curve of the (unbroken) model."""
    original, _ = readings(base, X, y)
    st.header('"I don\'t know"')
    st.caption("Below this confidence the network says it is not sure instead of answering. The higher the "
               "threshold, the fewer digits it answers and the more of those it gets right. The Draw page obeys it.")
    st.slider("Confidence threshold", 0.0, 0.99, lab.threshold, 0.01, key="lab_threshold",
              on_change=on(lab.set_threshold, "lab_threshold"))
    answered, accuracy = coverage(original.p, y, THRESHOLDS)
    [share], [right] = coverage(original.p, y, [lab.threshold])
    a, b = st.columns(2)
    a.metric("Answers", f"{share:.1%} of the test digits")
    b.metric("Right on those", "none answered" if share == 0 else f"{right:.2%}")
    st.image(figures.lab.coverage(THRESHOLDS, answered, accuracy, lab.threshold),
             caption="Accuracy against coverage, as the threshold moves from 0 to 1")


model_block(me)
st.title("Lab")
# Read once per page run: the fragments poll only while their job runs, and rerun the page when it ends.
polling_ranking, polling_damage = running(lab.ranking), running(lab.damage)
st.radio("Which model", [SESSION, PRETRAINED], index=int(lab.pretrained), key="lab_model", horizontal=True,
         on_change=on(lab.use_pretrained, "lab_model", lambda v: v == PRETRAINED),
         help="The session's model is the one you train, upload or fine-tune; the pretrained one ships with the app "
              "(which one: Bundled model, in the sidebar).")
base = me.pretrained() if lab.pretrained else me.model()
splits = me.splits()
X_test, y_test = splits.X_test, splits.y_test
sections = (lambda: show_breaking(base, X_test, y_test), lambda: show_damage(X_test, y_test),
            lambda: show_not_sure(base, X_test, y_test))
for tab, show in zip(st.tabs(SECTIONS, key="lab_section", on_change="rerun"), sections):
    with tab:
        if tab.open:  # only the open tab is drawn: choosing another reruns the page
            show()
