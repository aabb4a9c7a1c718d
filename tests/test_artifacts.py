"""Reading what the pipeline wrote (twcs_classifier.artifacts), in temporary projects."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import yaml
from conftest import write_json
from test_app_view import METRICS

from twcs_classifier import artifacts
from twcs_classifier.dvc_pipeline import configured_models
from twcs_classifier.files import write_csv
from twcs_classifier.layout import Layout


def write_models(root: Path, models: list[str]) -> None:
    """A params.yaml whose compare.models lists ``models``."""
    (root / "params.yaml").write_text(yaml.safe_dump({"compare": {"models": models}}))


def test_configured_models_come_from_params_yaml(tmp_path: Path) -> None:
    assert configured_models(tmp_path) == []
    write_models(tmp_path, ["b", "a"])
    assert configured_models(tmp_path) == ["b", "a"]


def test_trained_models_are_the_saved_ones_in_a_fixed_order(tmp_path: Path) -> None:
    paths = Layout(tmp_path)
    write_models(tmp_path, ["logreg", "simple_rnn", "lstm", "gru"])
    assert artifacts.trained_models(paths) == []
    for name in ("selected", "gru", "logreg", "zeta", "lstm"):
        write_json(paths.model_dir(name) / "model.json", {"kind": "x"})
    (paths.models / "half_written").mkdir()
    assert artifacts.trained_models(paths) == ["logreg", "lstm", "gru", "zeta"]


def test_compared_models_follow_the_ranking(tmp_path: Path) -> None:
    paths = Layout(tmp_path)
    write_models(tmp_path, ["logreg", "simple_rnn", "lstm", "gru"])
    assert artifacts.compared_models(paths) == []
    for name in ("logreg", "gru", "lstm"):
        write_json(paths.metrics / f"{name}.json", {})
    assert artifacts.compared_models(paths) == ["logreg", "lstm", "gru"]
    write_json(paths.metrics / "compare.json", {"models": {"gru": {"rank": 1}, "logreg": {"rank": 2}}})
    assert artifacts.compared_models(paths) == ["gru", "logreg", "lstm"]


def test_model_stamp_changes_when_the_model_is_rebuilt(tmp_path: Path) -> None:
    assert artifacts.model_stamp(tmp_path) is None
    meta = tmp_path / "model.json"
    meta.write_text("{}")
    first = artifacts.model_stamp(tmp_path)
    os.utime(meta, ns=(first + 10**9, first + 10**9))
    assert artifacts.model_stamp(tmp_path) == first + 10**9


def test_read_json_or_none(tmp_path: Path) -> None:
    assert artifacts.read_json_or_none(tmp_path / "missing.json") is None
    write_json(tmp_path / "a.json", {"x": 1})
    assert artifacts.read_json_or_none(tmp_path / "a.json") == {"x": 1}


def test_load_metrics_skips_missing_files(tmp_path: Path) -> None:
    paths = Layout(tmp_path)
    write_json(paths.metrics / "gru.json", METRICS)
    assert list(artifacts.load_metrics(paths, ["logreg", "gru"])) == ["gru"]


def test_load_metrics_reads_the_details_and_the_timings(tmp_path: Path) -> None:
    paths = Layout(tmp_path)
    write_json(paths.metrics_file("gru"), {"test": {"accuracy": 0.9}})
    write_json(paths.metrics_file("lstm"), {"test": {"accuracy": 0.8}})
    write_json(paths.details_file("gru"), {"test": {"accuracy": 0.9, "n": 20}})
    write_json(paths.timing_file("gru"), {"train_seconds": 8.5})
    loaded = artifacts.load_metrics(paths, ["gru", "lstm"])
    assert loaded["gru"] == {"test": {"accuracy": 0.9, "n": 20}, "timing": {"train_seconds": 8.5}}
    assert loaded["lstm"] == {"test": {"accuracy": 0.8}}  # the headline alone, without details or timings


def test_read_mistakes(tmp_path: Path) -> None:
    paths = Layout(tmp_path)
    assert artifacts.read_mistakes(paths, "gru") is None
    row = {"condition": "test", "tweet_id": "0012", "truth": "inbound", "predicted": "outbound"}
    texts = ["@1 sorry, DM us ^BB", "'=SUM(A1)", "=1+2", '-"quoted"\r\nline']
    rows = [{**row, "text": t, "p_inbound": 0.01, "confidence": 0.99} for t in texts]
    write_csv(paths.errors_file("gru"), pd.DataFrame(rows))  # as the train stage writes it
    got = artifacts.read_mistakes(paths, "gru")
    assert got.to_dict("records") == rows  # every tweet exactly as it was (the ids as text)
