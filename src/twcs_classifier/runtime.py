"""The cores this process uses, and TensorFlow started once, quietly, with the thread
settings chosen before it starts.

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


def cores() -> int:
    """The cores this process uses: ``TWCS_THREADS`` when set, else the CPUs it may run on."""
    threads = os.environ.get("TWCS_THREADS")
    if threads:
        if not threads.isdigit() or int(threads) < 1:
            raise ValueError(f"TWCS_THREADS must be a whole number of threads, at least 1; it is {threads!r}")
        return int(threads)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


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

    if os.environ.get("TWCS_THREADS"):
        tf.config.threading.set_intra_op_parallelism_threads(cores())
        tf.config.threading.set_inter_op_parallelism_threads(cores())
    else:
        tf.config.threading.set_intra_op_parallelism_threads(max(1, cores() // INTRA_OP_SHARE))
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
