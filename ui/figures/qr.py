"""A QR code of a link, for the projector: the room points its phones at it instead of typing the address.

Drawn by segno (pure Python, no dependencies of its own, ISO/IEC 18004): a QR encoder is
not code to write by hand.  Not for the link itself (``ui.lesson``).
"""

import io

import segno


def qr_png(text, scale=10):
    """Return a QR code of text as PNG bytes: black modules on white, each scale pixels, a quiet zone of 4."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
