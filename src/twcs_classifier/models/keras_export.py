"""A trained Keras network → its ONNX export (what is served), and the check that the two agree."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..runtime import tensorflow
from ..tokenizer import Encoded
from .onnx_network import ONNX_FILE, OnnxNetwork, batched_logits

ONNX_OPSET = 17
"""The ONNX opset of the export."""
PARITY_TOLERANCE = 1e-5
"""The largest difference of probabilities allowed between the Keras network and its ONNX
export on the validation split; a bigger one stops training with an error."""


def export_onnx(network: Any) -> bytes:
    """The ONNX file of a Keras network (ids → logit); its n-gram layers switch to their
    exportable form for the export."""
    from .keras_parts import NgramMean

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ONNX_FILE
        ngram_layers = [layer for layer in network.layers if isinstance(layer, NgramMean)]
        with warnings.catch_warnings():  # tf2onnx's own use of a deprecated numpy name
            warnings.simplefilter("ignore", FutureWarning)
            for layer in ngram_layers:
                layer.exporting = True
            try:
                network.export(str(path), format="onnx", verbose=False, opset_version=ONNX_OPSET)
            finally:
                for layer in ngram_layers:
                    layer.exporting = False
        return path.read_bytes()


def keras_logits(network: Any, encoded: Encoded) -> np.ndarray:
    """The Keras network's logits (training side) for ``encoded``."""
    tf = tensorflow()
    names = [i.name for i in network.inputs]

    def run(inputs: dict[str, np.ndarray]) -> np.ndarray:
        return network([tf.constant(inputs[n]) for n in names], training=False).numpy().reshape(-1)

    return batched_logits(encoded, run)


def check_parity(network: Any, served: OnnxNetwork, encoded: Encoded, temperature: float) -> float:
    """The largest difference of probabilities (at ``temperature``) between the Keras network
    and its ONNX export on ``encoded``; above :data:`PARITY_TOLERANCE` a :class:`RuntimeError`."""
    a, b = keras_logits(network, encoded), served.logits_of(encoded)
    t = temperature
    gap = float(np.max(np.abs(1 / (1 + np.exp(-a / t)) - 1 / (1 + np.exp(-b / t))), initial=0.0))
    if gap > PARITY_TOLERANCE:
        raise RuntimeError(f"the ONNX export differs from the Keras network by {gap:.2e} in probability")
    return gap
