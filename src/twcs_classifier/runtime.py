"""Start TensorFlow once, quietly, with the thread settings chosen before it starts.

The filter of TensorFlow's native log lines is :mod:`twcs_classifier.native_logs` (the CLI and
the stage runner use it without importing this module).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

INTRA_OP_SHARE = 2
"""Cores per op: one op gets ``cpu_count // INTRA_OP_SHARE`` threads. The recurrent models' ops
are small and two run side by side (a layer's two directions): on 2 cores, one thread an op
ran every GRU epoch in 1.2-1.45 s, where TensorFlow's default (both cores to each op, two ops
at once) ran them in 1.3 s or, one epoch in three, 2.5 s."""


@cache
def tensorflow() -> Any:
    """Import TensorFlow with its C++ logging quieted and return the module.

    ``TWCS_THREADS`` (if set) caps the intra- and inter-op thread pools. Otherwise one op
    gets half the cores (:data:`INTRA_OP_SHARE`) and TensorFlow runs as many ops at once as
    it likes. TensorFlow only accepts that before its first operation, which is why every
    module imports TensorFlow through this function.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    threads = os.environ.get("TWCS_THREADS")
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))
    else:
        tf.config.threading.set_intra_op_parallelism_threads(max(1, (os.cpu_count() or 1) // INTRA_OP_SHARE))
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
