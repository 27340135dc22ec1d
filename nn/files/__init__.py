"""Files the app writes and reads back: model files (``model_file``) and run checkpoints (``checkpoint``).

Both are ``.npz`` archives with one JSON entry, read with ``allow_pickle=False`` and
checked array by array.  Support code: the engine never imports it.
"""
