"""Test-wide settings.

One BLAS thread per process: the tests run several training threads (and a
Streamlit server) at once on small machines, where OpenBLAS's own worker threads
would fight them for the same cores and make everything many times slower.
This must happen before NumPy is first imported.
"""

import os
import tempfile

import pytest

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

# Runs that tests start are checkpointed: keep them out of the user's own run folder.
os.environ.setdefault("MNIST_PLAYGROUND_RUNS", tempfile.mkdtemp(prefix="playground-test-runs-"))


@pytest.fixture(scope="session")
def splits():
    """Return train/validation/test splits of the bundled sample, shared by every test that trains."""
    from nn.data import load_dataset, make_splits

    return make_splits(load_dataset("sample"), seed=0)
