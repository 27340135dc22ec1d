"""Checkpoints of a training run: all it takes to carry on after a reload, a closed tab or a crash.

A checkpoint is an .npz holding the network's parameters (``W1``, ``b1``, ...), the
optimiser's running averages (``opt_...``), the epoch's shuffled order and one JSON
entry ``checkpoint`` with the settings, step count, history, learning rate, status
and random state, plus whatever the caller adds (e.g. which dataset).  It is
written atomically and read with ``allow_pickle=False``.  Not for sharing a trained
model: that is a model file (``modelio.py``), which has no optimiser state.
"""

import json
import zipfile

import numpy as np

from nn.files.model_file import ModelFileError, write_npz
from nn.settings import TrainConfig
from nn.train import Trainer

VERSION = 1


def save_checkpoint(path, trainer, extra=None):
    """Write trainer's whole state, and the caller's ``extra`` dict, to path atomically."""
    state = {
        "version": VERSION, "config": trainer.config.to_dict(), "step_count": trainer.step_count,
        "seconds": trainer.seconds, "history": trainer.history, "lr": trainer.lr, "status": trainer.status,
        "message": trainer.message, "optimizer_t": trainer.optimizer.t,
        "rng": trainer.rng.bit_generator.state, "extra": extra or {},
    }
    arrays = {name: p for name, p, _ in trainer.net.params()}
    arrays.update({f"opt_{k}": v for k, v in trainer.optimizer.state().items()})
    if getattr(trainer, "_order", None) is not None:
        arrays["order"] = trainer._order
    arrays["checkpoint"] = np.array(json.dumps(state))
    write_npz(path, arrays)


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
    """Return a Trainer on splits that carries on exactly where the checkpoint left off."""
    trainer = Trainer(splits, TrainConfig.from_dict(state["config"]), **trainer_kw)
    try:
        trainer.net.set_weights(arrays)
        trainer.optimizer.load_state({k[4:]: v for k, v in arrays.items() if k.startswith("opt_")},
                                     state["optimizer_t"])
    except (KeyError, ValueError) as err:
        raise ModelFileError(f"The saved run does not match its own settings ({err}).") from err
    trainer.step_count, trainer.seconds = state["step_count"], state["seconds"]
    trainer.history, trainer.lr = state["history"], state["lr"]
    trainer.status, trainer.message = state["status"], state["message"]
    trainer.rng.bit_generator.state = state["rng"]
    trainer._order = arrays.get("order")
    trainer._good, trainer._good_step = trainer.net.copy_weights(), trainer.step_count
    return trainer

