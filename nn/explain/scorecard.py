"""Numbers about how a trained network reads the test digits: a confusion matrix and the digits it got wrong.

Plain NumPy on predictions, so the Train page can show where a run's mistakes are.
Not for figures (``ui.figures.training`` draws these) nor for the Weights and Draw pages
(``nn/explain/inspection.py``, ``nn/explain/saliency.py``).
"""

from dataclasses import dataclass

import numpy as np

N_CLASSES = 10


@dataclass(frozen=True)
class Scorecard:
    """How a network did on labelled digits."""

    confusion: np.ndarray  # (10, 10) counts: row = true digit, column = the network's answer
    wrong: np.ndarray  # (k,) indices of misread digits, most confidently wrong first
    said: np.ndarray  # (k,) the network's answer for each of them
    confidence: np.ndarray  # (k,) the probability it gave that answer

    @property
    def misread(self):
        """Return how many digits were misread in all (wrong keeps only the first few)."""
        return int(self.confusion.sum() - np.trace(self.confusion))


def confusion_matrix(y, pred, n_classes=N_CLASSES):
    """Return counts (n_classes, n_classes) of (true digit y, answer pred) pairs; y, pred (n,) ints."""
    return np.bincount(y * n_classes + pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def scorecard(proba, y, limit=30):
    """Return the Scorecard of class probabilities proba (n, 10) against labels y (n,), keeping limit mistakes."""
    pred = proba.argmax(axis=1)
    wrong = np.flatnonzero(pred != y)
    confidence = proba[wrong, pred[wrong]]
    order = np.argsort(-confidence, kind="stable")[:limit]
    wrong = wrong[order]
    return Scorecard(confusion_matrix(y, pred, proba.shape[1]), wrong, pred[wrong], confidence[order])
