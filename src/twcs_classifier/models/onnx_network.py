"""A trained network as served: an ONNX file run by onnxruntime, fed by the tokenizer it was
trained with. No TensorFlow or Keras here: serving imports neither.

A saved Keras model directory holds ``model.onnx`` (ids → inbound logit), ``tokenizer.json``
(text → ids, :mod:`twcs_classifier.tokenizer`) and ``model.json``, which records the SHA-256 of
both, so a stale pair (one file rebuilt without the other) is refused at load.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import PipelineError
from ..reading import sha256_file
from ..runtime import cores
from ..tokenizer import Encoded, Tokenizer, network_inputs

ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
PREDICT_BATCH = 256
"""Texts per run of the network; texts are sorted by length first, so each run's padding
stays short (of 1,000 test tweets, batches of 256 ran in 47 ms of CPU, of 512 in 53 ms)."""


def runtime_versions() -> dict[str, str]:
    """The serving runtime's versions, for the model card."""
    import onnxruntime

    return {"runtime": "onnxruntime", "onnxruntime": onnxruntime.__version__}


class OnnxNetwork:
    """An exported network (ids → inbound logit) and its tokenizer."""

    def __init__(self, onnx_model: bytes | str | Path, tokenizer: Tokenizer) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only
        # One thread a run: the recurrent loop's steps are too small to share (the network ran
        # a batch of 1,000 tweets in 42 ms on one thread, 47 ms on two, on 2 cores). The cores
        # are used by running batches side by side instead (:meth:`logits_of`).
        options.intra_op_num_threads = 1
        source = onnx_model if isinstance(onnx_model, bytes) else str(onnx_model)
        self.session = onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.input_ranks = {i.name: len(i.shape) for i in self.session.get_inputs()}
        self.output_name = self.session.get_outputs()[0].name
        self._pool: ThreadPoolExecutor | None = None

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """Logits of one batch of :func:`~twcs_classifier.tokenizer.network_inputs`."""
        feed = {name: inputs[name] for name in self.input_names}
        return np.asarray(self.session.run([self.output_name], feed)[0], dtype=np.float64).reshape(-1)

    def logits_of(self, encoded: Encoded, batch: int = PREDICT_BATCH) -> np.ndarray:
        """Inbound logits of encoded texts, in batches of similar length, as many side by
        side as the process has cores (:func:`~twcs_classifier.runtime.cores`; one session
        serves concurrent runs). Each batch's logits are the same whichever thread runs it."""
        if self._pool is None and len(encoded) > batch and cores() > 1:
            # Started once: starting threads on each call cost 6 ms a call of 1,000 tweets.
            self._pool = ThreadPoolExecutor(cores(), thread_name_prefix="onnx-batches")
        return batched_logits(encoded, self.run, batch, self._pool)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Inbound logits of raw texts."""
        return self.logits_of(self.tokenizer.encode(list(texts)))


def batched_logits(encoded: Encoded, run: Any, batch: int = PREDICT_BATCH, pool: Executor | None = None) -> np.ndarray:
    """``run(network_inputs)`` over ``encoded`` in batches of texts of similar length (sorted
    by token count), results in the texts' order. Given a ``pool`` and more than one batch,
    its threads run the batches side by side (``run`` must then be thread-safe)."""
    order = np.argsort([len(r) for r in encoded.rows], kind="stable")
    batches = [order[start : start + batch] for start in range(0, len(order), batch)]

    def one(index: np.ndarray) -> np.ndarray:
        return run(network_inputs(encoded.table, [encoded.rows[i] for i in index]))

    out = np.empty(len(encoded), dtype=np.float64)
    if pool is not None and len(batches) > 1:
        results = list(pool.map(one, batches))
    else:
        results = [one(index) for index in batches]
    for index, logits in zip(batches, results):
        out[index] = logits
    return out


def check_files(directory: Path, recorded: dict[str, str], fix: str) -> None:
    """Each file of ``recorded`` (name → SHA-256) is in ``directory`` with that hash, or a
    :class:`PipelineError` names the file and ``fix``."""
    for name, digest in recorded.items():
        path = directory / name
        if not path.is_file():
            raise PipelineError(f"the model in {directory} has no {name}", fix)
        if sha256_file(path) != digest:
            raise PipelineError(
                f"{path} is not the file this model was saved with (its SHA-256 differs from model.json's): "
                "a stale, damaged or swapped file",
                fix,
            )
