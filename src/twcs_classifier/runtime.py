"""Start TensorFlow once, quietly, with the thread settings chosen before it starts.

The filter of TensorFlow's native log lines is :mod:`twcs_classifier.native_logs` (the CLI and
the stage runner use it without importing this module).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any


@cache
def tensorflow() -> Any:
    """Import TensorFlow with its C++ logging quieted and return the module.

    ``TWCS_THREADS`` (if set) caps the intra- and inter-op thread pools; TensorFlow
    only accepts that before its first operation, which is why every module imports
    TensorFlow through this function.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    threads = os.environ.get("TWCS_THREADS")
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))
    return tf


def keras() -> Any:
    """Keras 3, imported after :func:`tensorflow` has set up TensorFlow."""
    tensorflow()
    import keras as _keras

    return _keras


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's ops deterministic."""
    tf = tensorflow()
    keras().utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
