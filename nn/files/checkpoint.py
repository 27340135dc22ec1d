"""Checkpoints of a training run: all it takes to carry on after a reload, a closed tab or a crash.

A checkpoint is an .npz holding the arrays of ``Trainer.state`` (the network's
parameters ``W1``, ``b1``, ..., the optimiser's running averages ``opt_...``, the
epoch's shuffled ``order``) and one JSON entry ``checkpoint`` with its values (the
settings, step count, history, learning rate, status and random state), the format
``version`` and whatever the caller adds as ``extra`` (e.g. which dataset).  It is
written atomically and read with ``allow_pickle=False``.  This file knows the format;
the trainer knows what its state is.  Not for sharing a trained model: that is a
model file (``model_file.py``), which has no optimiser state.
"""

import json
import zipfile

import numpy as np

from nn.files.model_file import ModelFileError, write_npz
from nn.settings import TrainConfig
from nn.train import Trainer

VERSION = 1


def save_checkpoint(path, trainer, extra=None):
    """Write trainer's whole state (``Trainer.state``), and the caller's ``extra`` dict, to path atomically."""
    arrays, values = trainer.state()
    state = {"version": VERSION, **values, "extra": extra or {}}
    write_npz(path, {**arrays, "checkpoint": np.array(json.dumps(state))})


def read_checkpoint(path, with_arrays=True):
    """Return (arrays, state) of a checkpoint file ({} for arrays if not wanted); raise ModelFileError if unfit."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            state = json.loads(str(npz["checkpoint"]))
            arrays = {k: npz[k] for k in npz.files if k != "checkpoint"} if with_arrays else {}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise ModelFileError(f"The saved run at {path} is damaged ({err}); it cannot be restored.") from err
    if not isinstance(state, dict) or state.get("version") != VERSION:
        raise ModelFileError(f"The saved run at {path} is from another version of the app.")
    return arrays, state


def restore_trainer(splits, arrays, state, **trainer_kw):
    """Return a Trainer on splits that carries on exactly where the checkpoint left off.

    trainer_kw go to ``Trainer`` (e.g. ``report_seconds``, ``transform``): how the run
    goes on is the caller's choice, not the file's.
    """
    trainer = Trainer(splits, TrainConfig.from_dict(state["config"]), **trainer_kw)
    try:
        trainer.load_state(arrays, state)
    except (KeyError, ValueError) as err:
        raise ModelFileError(f"The saved run does not match its own settings ({err}).") from err
    return trainer
