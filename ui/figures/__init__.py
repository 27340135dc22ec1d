"""Every figure the pages show, and the digits they show as pictures: pages ``from ui import figures``.

One module per page topic: ``figures.training`` (Train), ``figures.weights`` (Weights),
``figures.drawing`` (Draw; its probability bars also on Weights), ``figures.tuning`` (Train's
Tune section), ``figures.lab`` (Lab), ``figures.activation_map`` (the Weights page's map of the digits),
``figures.qr`` (a lesson link's QR code for the projector).
Beside them ``figures.digits`` lays digits out as pictures (the one helper for
that), ``figures.palette`` holds every colour, and ``figures.base`` how every figure is built
and validated.  Not for
Streamlit calls or the JavaScript pages run (``ui.frontend``) nor for maths (``nn/``).
"""

from ui.figures import activation_map, base, digits, drawing, lab, palette, qr, training, tuning, weights

STATIC = {"displayModeBar": False}  # st.plotly_chart's config for a figure whose mode bar serves nothing

__all__ = ["STATIC", "activation_map", "base", "digits", "drawing", "lab", "palette", "qr", "training", "tuning",
           "weights"]
