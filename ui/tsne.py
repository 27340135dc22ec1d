"""The t-SNE map of one layer, computed in a process of its own: ``python -m ui.tsne FEATURES OUT PROGRESS``.

FEATURES is a .npy of a layer's activations (n, d); OUT gets the map (n, 2) as a .npy; PROGRESS
is rewritten as it goes with one JSON object {"done": 0..1, "stage": words}.  A process of its
own because t-SNE is seconds of CPU: in the web process it would hold the GIL that every page
shares.  ``ui.activation_map`` starts it at a lower priority, so the runs training on the same
cores keep theirs.  openTSNE, with Barnes-Hut gradients (for 2,000 points three times less CPU
than its FFT ones, which pay off from tens of thousands), was chosen by measuring:
``benchmarks/nonlinear_map.py``; the README gives the figures.  Files only, read with
``allow_pickle=False``: nothing crosses the process boundary as a pickle.  Not for Streamlit
calls nor anything the page shows.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np

PERPLEXITY = 30
EARLY_ITERATIONS, ITERATIONS = 250, 500  # openTSNE's defaults: the clusters form, then settle
EVERY = 10  # iterations between progress reports
NEIGHBOURS_SHARE = 0.1  # of the progress bar, for finding each digit's neighbours before the iterations
REDUCED = 50  # dimensions kept by a PCA first, as t-SNE's authors advise: the neighbours come quicker


def report(path, done, stage):
    """Write progress {"done", "stage"} to path, whole: a reader never sees half a file."""
    tmp = Path(f"{path}.tmp")
    tmp.write_text(json.dumps({"done": round(done, 4), "stage": stage}))
    os.replace(tmp, path)


def reduce(F, k=REDUCED):
    """Return F (n, d) centred and projected on its first k principal axes, (n, min(k, d))."""
    Fc = F - F.mean(axis=0)
    if Fc.shape[1] <= k:
        return Fc
    _, _, Vt = np.linalg.svd(Fc, full_matrices=False)
    return Fc @ Vt[:k].T


def embed(F, progress, jobs=1):
    """Return the t-SNE map (n, 2) of F (n, d), reporting progress to the file progress, on jobs threads.

    One thread by default: on 2 cores that the runs also use, a second one costs more in waiting
    for each other than it saves (150 digits: 1.9 s on one thread, 28 s on two, measured with
    the cores busy), and it leaves the other core to the runs.
    """
    from openTSNE import TSNE  # imported here: it takes a second, and only this process needs it

    total = (EARLY_ITERATIONS + ITERATIONS) // EVERY
    calls = 0

    def tick(iteration, error, embedding):
        nonlocal calls
        calls += 1
        stage = "pulling the clusters apart" if calls * EVERY <= EARLY_ITERATIONS else "settling the map"
        report(progress, NEIGHBOURS_SHARE + (1 - NEIGHBOURS_SHARE) * min(calls / total, 1), stage)

    report(progress, 0.0, "finding each digit's nearest neighbours")
    tsne = TSNE(perplexity=min(PERPLEXITY, (len(F) - 1) / 3), early_exaggeration_iter=EARLY_ITERATIONS,
                n_iter=ITERATIONS, n_jobs=jobs, random_state=0, negative_gradient_method="bh", callbacks=tick,
                callbacks_every_iters=EVERY)
    return np.asarray(tsne.fit(reduce(np.asarray(F, dtype=np.float64))), dtype=np.float32)


NICENESS = 10  # this much below the web process that started it, and level with the runs' workers, which are niced too


def main(argv=None):
    """Lower this process's priority, read the features, write the map, report 100 %."""
    os.nice(NICENESS)  # here, not in a preexec_fn: the web process that starts this one has threads
    features, out, progress = (argv or sys.argv[1:])[:3]
    F = np.load(features, allow_pickle=False)
    points = embed(F, progress)
    np.save(out, points, allow_pickle=False)
    report(progress, 1.0, "done")


if __name__ == "__main__":
    main()
