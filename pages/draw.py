"""Draw page: draw a digit and the network reads it as you draw; see what it sees and why; teach it.

Layout only: the preprocessing is ``nn.digits.preprocess``, the reading and saliency
``nn.explain.saliency``, the fine-tuning ``Session.finetune``, the figures ``ui.figures``.  The canvas and all that
depends on it live in one fragment, so a stroke reruns only that part of the page, and the
fragment re-reads the drawing every second while the session's run is training.
"""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from nn.digits.finetune import MAX_DIGITS, DigitsError
from nn.digits.preprocess import preprocess
from nn.explain.saliency import read
from ui import figures, frontend
from ui.routing import through_app
from ui.session import session
from ui.sidebar import model_block
from ui.uploads import uploader

through_app()  # a first request to a fresh server runs this page on its own: go through app.py

SESSION, PRETRAINED = "Session model", "Pretrained model"
LIVE_SECONDS = 1.0
CANVAS = 280
STEPS_ON = ("Your drawing", "Cropped to ink", "Longer side 20 px", "Centred in 28×28")
STEPS_OFF = ("Your drawing", "Whole canvas (no crop)", "Canvas at 20×20", "Canvas at 28×28")
THICKENED = "Cropped, strokes widened"
MAPS = {"Input × gradient": "saliency", "Gradient": "gradient"}

me = session()
st.session_state.setdefault("draw_clears", 0)
st.session_state.setdefault("draw_brush", 20)
st.session_state.setdefault("draw_centre", True)


def draw_model():
    """Return the Model the page reads with: the session's (live while it trains) or its bundled one."""
    return me.model() if st.session_state.get("draw_model", SESSION) == SESSION else me.pretrained()


def clear():
    """Empty the canvas by mounting a fresh one under a new key."""
    st.session_state.draw_clears += 1


def add_digit(image):
    """Put the drawing (28, 28) into my digits under the chosen label, then clear the canvas for the next."""
    me.add_digit(image, st.session_state.draw_label)
    st.session_state.draw_label = None
    clear()


def teach():
    """Fine-tune a copy of the page's model on my digits; it becomes the session's model."""
    acc = me.finetune(draw_model())
    st.session_state.draw_model = SESSION
    st.session_state.draw_tuned = (f"Fine-tuned on your {len(me.digits)} digits: it reads {acc:.2%} of the "
                                   f"{len(me.splits().y_test):,} test digits of the {me.data_name_text} right.")


def show_prediction(reading, strokes, reading_box, bars_box):
    """Show the read digit and its confidence in reading_box, and all ten probabilities in bars_box.

    Under the Lab page's confidence threshold it says "not sure" instead of a digit.
    """
    if me.lab.not_sure(reading.confidence):
        reading_box.metric("Prediction", "not sure")
        reading_box.caption(f"best guess {reading.digit}, {reading.confidence:.1%} sure: under the "
                            f"{me.lab.threshold:.0%} threshold set on the Lab page · read after stroke {strokes}")
    else:
        reading_box.metric("Prediction", reading.digit)
        reading_box.caption(f"{reading.confidence:.1%} sure · read after stroke {strokes}")
    bars_box.plotly_chart(figures.drawing.probability_bars(reading.p, reading.digit), key="draw_probs",
                          config=figures.STATIC)


def show_steps(steps, centre):
    """Show each preprocessing step as a small image."""
    st.subheader("What the network sees")
    st.caption("The same steps that made MNIST: crop to the ink, scale the longer side to 20 px, "
               "centre the mass in 28×28. Switch centring off to see what the usual demos feed the network.")
    images = (steps.raw, steps.cropped, steps.scaled, steps.centred)
    titles = STEPS_ON if centre else STEPS_OFF
    if steps.thickened:
        titles = (titles[0], THICKENED, *titles[2:])
        st.caption("Your strokes were thinner than any MNIST digit's, so they were widened to MNIST's thinnest.")
    for col, picture, title in zip(st.columns(4), figures.digits.pictures(images, size=112), titles):
        col.image(picture, caption=title, width=112)


def show_why(reading, layers):
    """Show the saliency map and the hidden activations of this digit."""
    st.subheader("Why")
    kind = st.radio("Map", list(MAPS), key="draw_map", horizontal=True,
                    help="Input × gradient: how much the ink on each pixel pushed the answer (red) or against "
                         "it (blue). Gradient: where more ink would push it.")
    cols = st.columns(1 + layers)
    cols[0].plotly_chart(figures.drawing.saliency_map(getattr(reading, MAPS[kind]), f"{kind} for {reading.digit}"),
                         key="draw_saliency", config=figures.STATIC)
    for i, (col, a) in enumerate(zip(cols[1:], reading.hidden), 1):
        col.plotly_chart(figures.drawing.activation_grid(a, i), key=f"draw_hidden_{i}", config=figures.STATIC)


def show_teach(steps):
    """Label a misread drawing, collect my digits, fine-tune on them and download them.

    The section's contents are drawn only while it is open (opening it reruns the reader), so a fresh
    page builds none of its widgets.
    """
    section = st.expander("Teach it: label a misread digit, collect your digits, fine-tune on them",
                          key="draw_teach_open", on_change="rerun")
    with section:
        if not section.open:
            return
        _teach_widgets(steps)


def _teach_widgets(steps):
    """Draw the Teach section's widgets: the right label for steps' digit (None: no drawing), my digits, fine-tuning."""
    left, right = st.columns([1, 2])
    with left:
        st.selectbox("Right label", range(10), index=None, key="draw_label", disabled=steps is None,
                     placeholder="the digit you drew",
                     help="When the network is wrong, say what you drew and add it to your digits.")
        st.button("Add to my digits", key="draw_add", on_click=add_digit, args=(getattr(steps, "centred", None),),
                  disabled=steps is None or st.session_state.get("draw_label") is None)
        busy = me.training
        st.button("Fine-tune on my digits", key="draw_finetune", on_click=teach, type="primary",
                  disabled=not len(me.digits) or busy,
                  help="A training run is going on: fine-tune once it ends." if busy else
                  "A few steps of training on your digits mixed with MNIST digits, so it does not forget.")
        if len(me.digits):
            st.download_button("Download my digits (.npz)", me.digits.npz(), file_name="my_digits.npz",
                               mime="application/octet-stream", key="draw_download", on_click="ignore")
            st.button("Remove the last one", key="draw_remove", on_click=me.digits.remove, args=(-1,))
        uploader("Load digits", "draw_upload", ["npz", "csv", "zip", "gz"], DigitsError, me.digits.load,
                 help="Digits saved with the download button, or any small dataset file in the MNIST layout "
                      f"(at most {MAX_DIGITS:,} digits in all): they join your digits.")
    with right:
        if len(me.digits):
            st.caption(f"Your digits: {len(me.digits)} (the labels in the corners). The .npz has the MNIST layout.")
            st.plotly_chart(figures.drawing.digit_grid(me.digits.x, me.digits.y), key="draw_mine",
                            config=figures.STATIC)
        else:
            st.caption("Your digits will show here.")


def reader():
    """Show the canvas and, when there is a drawing, what the network reads, sees and why."""
    if "draw_tuned" in st.session_state:
        st.rerun()  # the session's model changed: redraw the sidebar too
    if live and not me.shows_live_run:
        st.rerun()  # the run ended: stop re-reading every second
    # Keyed, so that on a phone ui/frontend/draw_layout.css can put the reading above the canvas.
    left, right = st.container(key="draw_reader").columns([2, 3])
    with left:
        st.space("medium")  # room for the canvas's toolbar, which shows above it
        result = st_canvas(stroke_width=st.session_state.draw_brush, stroke_color="#FFFFFF",
                           background_color="#000000", update_streamlit=True, return_image_data=True,
                           width=CANVAS, height=CANVAS, drawing_mode="freedraw",
                           key=f"draw_canvas_{st.session_state.draw_clears}")
    reading_box, bars_box = right.container(key="draw_reading"), right.container(key="draw_bars")
    with left:
        st.slider("Brush width", 4, 40, key="draw_brush")
        st.button("Clear", key="draw_clear", on_click=clear)
        centre = st.toggle("Centre like MNIST", key="draw_centre",
                           help="Off: the whole canvas is shrunk to 28×28, as the usual demos do.")
    image = result.image_data
    steps = None if image is None else preprocess(image, centre=centre)
    if steps is None or steps.blank:
        # On the page before the first stroke: an element's script loads when one first shows, and the browser
        # then held the first reading back by ~150 ms (README, "first stroke"); mounted now, it paints at once.
        reading_box.metric("Prediction", "–")
        reading_box.info("Draw a digit in the black square: the network reads it each time you lift the pen.")
        show_teach(None)
        return
    me.lab.keep_drawing(steps.x)  # the Lab page reads it too
    model = draw_model()
    reading = read(model.net, steps.x)
    show_prediction(reading, len((result.json_data or {}).get("objects", [])), reading_box, bars_box)
    show_steps(steps, centre)
    show_why(reading, len(model.net.sizes) - 2)
    show_teach(steps if centre else preprocess(image))


model_block(me)
st.title("Draw a digit")
choice = st.radio("Which model reads it", [SESSION, PRETRAINED], key="draw_model", horizontal=True,
                  help="The session's model is the one you train on the Train page (read live while it learns), "
                       "or one you uploaded or fine-tuned; the pretrained one ships with the app (which one: "
                       "Bundled model, in the sidebar).")
if choice == PRETRAINED and me.model().net is not me.pretrained().net:
    st.sidebar.caption(f"The Draw page reads with the {me.pretrained().source_text}.")
frontend.fix_canvas()
live = choice == SESSION and me.shows_live_run
if live:
    st.caption("Your run is training: the drawing is read again every second as the network learns.")
if note := st.session_state.pop("draw_tuned", None):
    st.success(note)
st.fragment(reader, run_every=LIVE_SECONDS if live else None)()
