"""Choose the activation map's non-linear map by measuring: openTSNE against scikit-learn's t-SNE, and the PCA.

    python benchmarks/nonlinear_map.py                 # 2,000 digits, the pretrained model's first hidden layer
    python benchmarks/nonlinear_map.py --layer 0 --jobs 2
    python benchmarks/nonlinear_map.py --only-pca      # the live PCA frames only

Both t-SNEs get the same 2,000 digits as a layer of the bundled pretrained model sees them
(the bundled sample's training digits: its test split holds only 1,000), the same perplexity
(30) and the same iterations (250 early exaggeration + 500), in this process, with ``--jobs``
threads; then the app's own map (``ui.tsne.embed``).  First it times one live frame of the PCA
map with its figure (``ui.activation_map``: the trace, the PCA, the Procrustes turn) for each layer
of a fresh 784-128-10 network and of the pretrained one, in CPU milliseconds.  Prints seconds;
asserts nothing.  Run it with OPENBLAS_NUM_THREADS=1, as the app does.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAMES = 5  # live frames timed per layer
sys.path.insert(0, str(ROOT))

from nn.data import load_dataset  # noqa: E402
from nn.explain import projection  # noqa: E402
from nn.files.model_file import load_model  # noqa: E402
from nn.network import Network  # noqa: E402
from ui.activation_map import ActivationMap  # noqa: E402
from ui.figures.activation_map import digit_map  # noqa: E402
from ui.tsne import REDUCED, embed  # noqa: E402


def seconds(f, *args, **kw):
    """Return (what f(*args, **kw) returns, seconds it took)."""
    start = time.perf_counter()
    out = f(*args, **kw)
    return out, time.perf_counter() - start


def cpu_seconds(f, *args):
    """Return 'W s (C CPU-s)': the wall-clock and CPU seconds of this process that f(*args) took.

    On a machine busy with other work the CPU seconds are the fair figure: with one thread they
    are the wall-clock time the same work takes on a free core.
    """
    cpu = time.process_time()
    _, wall = seconds(f, *args)
    return f"{wall:.1f} s ({time.process_time() - cpu:.1f} CPU-s)"


def main(argv=None):
    """Time the PCA frames, openTSNE, the app's map and scikit-learn's TSNE; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=2000)
    parser.add_argument("--only-pca", action="store_true", help="time the live map frames only")
    parser.add_argument("--layer", type=int, default=1, help="0 the pixels, 1 the first hidden layer, ... (default 1)")
    parser.add_argument("--jobs", type=int, default=1, help="threads each t-SNE may use (default 1)")
    args = parser.parse_args(argv)
    net, _ = load_model(ROOT / "assets" / "pretrained.npz")
    sample = load_dataset("sample")
    X, y = sample.x_train[:args.digits].reshape(args.digits, -1) / 255.0, sample.y_train[:args.digits]
    for model in (Network((128,), seed=0), net):
        maps = ActivationMap(args.digits)
        for layer, name in enumerate(projection.layer_names(model)):
            maps.frame(model, X, y, layer)  # the first frame; the live ones are turned onto the last
            cpu = time.process_time()
            for _ in range(FRAMES):
                f = maps.frame(model, X, y, layer)
                digit_map(f.points, f.labels, f.predicted, f.index, name)
            ms = (time.process_time() - cpu) / FRAMES * 1000
            print(f"live map frame and figure, {model.describe()}, {name}: {ms:.0f} CPU-ms")
    if args.only_pca:
        return
    F = projection.views(net, X)[args.layer]
    print(f"t-SNE of {F.shape} ({projection.layer_names(net)[args.layer]}), {args.jobs} thread(s):")

    from openTSNE import TSNE as OpenTSNE

    for method in ("bh", "fft"):
        tsne = OpenTSNE(perplexity=30, n_jobs=args.jobs, random_state=0, n_iter=500, early_exaggeration_iter=250,
                        negative_gradient_method=method)
        print(f"  openTSNE, {method} gradients: {cpu_seconds(tsne.fit, F)}")
    took = cpu_seconds(embed, F, Path(tempfile.mkdtemp()) / "progress.json", args.jobs)
    print(f"  the app's map (ui.tsne: a PCA to {REDUCED} dimensions, then openTSNE bh): {took}")
    from sklearn.manifold import TSNE as SkTSNE

    tsne = SkTSNE(perplexity=30, n_jobs=args.jobs, random_state=0, max_iter=750, init="pca")
    print(f"  scikit-learn (Barnes-Hut): {cpu_seconds(tsne.fit_transform, F)}")


if __name__ == "__main__":
    main()
