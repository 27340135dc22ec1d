"""A neural network written from scratch in NumPy, and what it needs to learn MNIST.

The engine is the top of this package, one file per concept: ``layers``, ``conv``, ``activations``,
``losses``, ``init``, ``optim``, ``schedules``, ``network``, ``train``, ``settings`` and
``classic`` (the classic two-layer notebook network, function by function).  It imports
only NumPy and the standard library, and none of the support code below it:

- ``nn.data``: the digits (bundled sample, download, file formats, splits);
- ``nn.files``: model files and run checkpoints;
- ``nn.digits``: drawn-digit preprocessing, augmentation, fine-tuning;
- ``nn.explain``: inspection, saliency, scorecards.

``tune`` picks hyperparameters (grids, random draws, successive halving, picking on the
validation set) for the command line and the app.  ``python -m nn`` is the command line
(``cli.py``).  Nothing here imports Streamlit or Plotly.
"""
