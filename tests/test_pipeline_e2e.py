"""End to end: the real `dvc repro` on ../shared/data/twcs_real_sample.csv.

The `built_project` fixture (tests/conftest.py) runs the whole pipeline once in a
temporary copy of the repository; these tests check every stage's outputs, the
GRU's accuracy on real data, the serving path, and DVC's incremental behaviour.
In CI the real sample must be there: a missing sample fails rather than skips.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import E2E_OVERRIDES, EPOCH_MODELS, MODELS, dvc, stage_imports_dir

from twcs_classifier import inference
from twcs_classifier.evaluation import headline_metrics
from twcs_classifier.models import load_model

pytestmark = pytest.mark.e2e

SPLIT_KEYS = {
    "n",
    "accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "roc_auc",
    "average_precision",
    "log_loss",
    "confusion",
    "per_class",
    "ece",
    "ece_uncalibrated",
}


def read(root: Path, rel: str):
    return json.loads((root / rel).read_text())


def ran_stages(output: str) -> list[str]:
    return re.findall(r"Running stage '([^']+)'", output)


def test_extract_outputs(built_project: Path) -> None:
    report = read(built_project, "data/interim/extract_report.json")
    assert report["rows_read"] == 43796
    dropped = sum(v for k, v in report.items() if k.startswith("dropped_"))
    assert report["rows_written"] == report["rows_read"] - dropped  # every record accounted for
    assert report["inbound"] == 6195 and report["outbound"] == 37601
    tweets = pd.read_parquet(built_project / "data/interim/tweets.parquet")
    assert len(tweets) == report["rows_written"]
    assert tweets["tweet_id"].is_unique
    assert tweets["company"].notna().mean() > 0.9


def test_sample_outputs(built_project: Path) -> None:
    report = read(built_project, "data/splits/sample_report.json")
    assert all(report["checks"].values()), report["checks"]
    # The test split gets what was asked; train takes the rest, fewer than asked: it says so.
    assert report["actual"]["test"]["n"] == report["requested"]["test"] == E2E_OVERRIDES["sample"]["n_test"]
    assert report["warnings"] and report["min_split"] <= report["actual"]["train"]["n"] < report["requested"]["train"]
    splits = {s: pd.read_parquet(built_project / f"data/splits/{s}.parquet") for s in ("train", "val", "test")}
    for name, frame in splits.items():
        assert len(frame) == report["actual"][name]["n"] and frame["label"].mean() == 0.5
    assert not set(splits["train"]["conversation_id"]) & set(splits["test"]["conversation_id"])
    assert not set(splits["val"]["conversation_id"]) & set(splits["test"]["conversation_id"])
    unseen = pd.read_parquet(built_project / "data/splits/unseen_brands.parquet")
    held = report["holdout_brands"]
    assert held and set(unseen["company"]) <= set(held) and len(unseen) == report["actual"]["unseen_brands"]["n"]
    for frame in splits.values():
        assert not frame["company"].isin(held).any()


def test_clean_tokenize_outputs(built_project: Path) -> None:
    tok = read(built_project, "data/processed/tokenizer.json")
    params = yaml.safe_load((built_project / "params.yaml").read_text())["clean_tokenize"]
    assert tok["sequence_length"] == params["sequence_length"] and len(tok["vocabulary"]) <= params["max_tokens"]
    assert tok["char_ngram_max"] == params["char_ngram_max"] and tok["ngram_buckets"] == params["ngram_buckets"]
    test = pd.read_parquet(built_project / "data/processed/test.parquet")
    assert {"clean_text", "pieces", "masked_pieces"} <= set(test.columns)
    assert 0 < max(len(ids) for ids in test["pieces"]) <= params["sequence_length"]


def test_the_stage_ids_are_the_serving_ids_for_every_test_tweet(built_project: Path) -> None:
    """What clean_tokenize wrote (and training read) is what serving computes from the raw
    text, token by token, for every test tweet, raw and masked."""
    from twcs_classifier.layout import Layout
    from twcs_classifier.processed import read_processed
    from twcs_classifier.text import mask
    from twcs_classifier.tokenizer import Tokenizer

    frames, ids = read_processed(["test", "unseen_brands"], Layout(built_project))
    served_tok = Tokenizer.load(built_project / "models/gru/tokenizer.json")  # the file that travels with the model
    assert served_tok == Tokenizer.load(built_project / "data/processed/tokenizer.json")
    for split, frame in frames.items():
        table, texts = ids[split].table, frame["text"].tolist()
        for rows, raw in ((ids[split].rows, texts), (ids[split].masked_rows, [mask(t) for t in texts])):
            served = served_tok.encode(raw)
            stage = [[(table.tokens[i], tuple(table.ngrams_of(i)), int(table.word_ids[i])) for i in r] for r in rows]
            serve = [
                [(served.table.tokens[i], tuple(served.table.ngrams_of(i)), int(served.table.word_ids[i])) for i in r]
                for r in served.rows
            ]
            assert stage == serve, split


@pytest.mark.parametrize("model", MODELS)
def test_train_outputs(built_project: Path, model: str) -> None:
    details = read(built_project, f"metrics/details/{model}.json")
    for split in ("validation", "test", "test_unseen_brands", "test_masked"):
        assert set(details[split]) >= SPLIT_KEYS, split
        assert 0.5 < details[split]["accuracy"] <= 1.0
        assert 0 <= details[split]["ece"] < 0.5 and 0 <= details[split]["ece_uncalibrated"] < 0.5
    assert details["calibration"]["temperature"] > 0
    assert details["calibration"]["temperature"] != 1.0  # fitted on validation for every model
    # The metrics file DVC shows is the headline of the details: numbers only, no params, no timings.
    assert read(built_project, f"metrics/{model}.json") == headline_metrics(details)
    timing = read(built_project, f"reports/timing_{model}.json")
    assert timing["train_seconds"] > 0 and set(timing) >= {"predict_test_seconds", "predict_validation_seconds"}
    assert read(built_project, f"models/{model}/model.json")["params"]["seed"] == 42
    for plot in (
        "roc",
        "precision_recall",
        "confusion",
        "reliability_test",
        "reliability_test_unseen_brands",
        "reliability_test_masked",
    ):
        assert read(built_project, f"plots/{model}/{plot}.json")
    errors = pd.read_csv(built_project / f"reports/errors_{model}.csv")
    assert set(errors["condition"]) <= {"test", "test_unseen_brands", "test_masked"} and len(errors) > 0
    assert (errors["truth"] != errors["predicted"]).all()
    for _, group in errors.groupby("condition"):
        assert group["confidence"].is_monotonic_decreasing and len(group) <= 25
    # Every scored tweet's probability, for compare's paired tests: the metrics come from these.
    predictions = pd.read_parquet(built_project / f"reports/predictions/{model}.parquet")
    assert list(predictions.columns) == ["set", "tweet_id", "label", "p_inbound"]
    for split, rows in predictions.groupby("set"):
        right = ((rows["p_inbound"] >= 0.5).astype(int) == rows["label"]).mean()
        assert len(rows) == details[split]["n"] and right == pytest.approx(details[split]["accuracy"]), split


def test_gru_reaches_097_on_every_real_test_condition_but_masked_text(built_project: Path) -> None:
    # With the default params this run reaches about 0.979 (random split), 0.982 (unseen
    # brands, macro-F1) and 0.936 (masked text); seeds move each by up to a point.
    metrics = read(built_project, "metrics/gru.json")
    assert metrics["test"]["accuracy"] >= 0.97
    assert metrics["test_unseen_brands"]["f1_macro"] >= 0.97
    assert metrics["test_masked"]["accuracy"] >= 0.92


def test_the_gru_explains_an_agent_reply_by_the_words_a_person_would_pick(built_project: Path) -> None:
    from twcs_classifier.explanation import word_scores

    model = load_model(built_project / "models/gru")
    text = "We're sorry to hear that. Please DM us your booking reference. ^KM"
    result = word_scores(model, text)
    scores = result.pairs()
    towards_reply = [word for word, score in sorted(scores, key=lambda ws: ws[1])[:4]]
    picks = {"we're", "sorry", "hear", "that.", "us", "dm", "please", "reference.", "^km"}
    assert len(set(towards_reply) & picks) >= 3, scores
    # The sign-off is one word, as written, and it pushes towards company reply.
    assert scores[-1][0] == "^km" and scores[-1][1] < 0, scores
    assert result.scores.sum() == pytest.approx(result.full - result.empty)
    assert model.token_importance(text) == scores


def test_recurrent_training_logs_exist(built_project: Path) -> None:
    for model in EPOCH_MODELS:
        lines = (built_project / f"plots/{model}/training/plots/metrics/eval/loss.tsv").read_text().splitlines()
        assert lines[0].split("\t")[:2] == ["step", "loss"] and len(lines) >= 2


def test_compare_and_select_outputs(built_project: Path) -> None:
    summary = read(built_project, "metrics/compare.json")
    assert set(summary["models"]) == set(MODELS) and summary["selected"] == "gru"
    table = (built_project / "metrics/compare.md").read_text()
    assert summary["verdict"] in table and "**gru**" in table
    assert set(summary["verdicts"]) == {"test", "test_unseen_brands", "test_masked"}
    assert all(sentence in table for sentence in summary["verdicts"].values())
    pairs = len(MODELS) * (len(MODELS) - 1) // 2  # every pair of models on every scored set
    assert {s: len(tests) for s, tests in summary["pairs"].items()} == {
        s: pairs for s in ("validation", "test", "test_unseen_brands", "test_masked")
    }
    card = read(built_project, "models/selected/model_card.json")
    assert card["model"] == "gru" and card["comparison"]["verdict"] == summary["verdict"]
    assert card["comparison"]["verdicts"] == summary["verdicts"] and "names gru" in card["selection"]["reason"]
    assert card["metrics"]["test"] == read(built_project, "metrics/details/gru.json")["test"]
    assert card["params"] == {"kind": "recurrent", **read(built_project, "models/gru/model.json")["params"]}
    assert len(card["data_fingerprint"]["sha256_of_split_files"]) == 64


@pytest.mark.parametrize("model", EPOCH_MODELS)
def test_the_served_onnx_network_matches_keras_on_the_whole_test_split(built_project: Path, model: str) -> None:
    """The ONNX file (served, no TensorFlow) gives the trained Keras network's probabilities
    on every test tweet, within 1e-5."""
    from twcs_classifier.layout import Layout
    from twcs_classifier.models import keras_parts  # noqa: F401  (registers the layers)
    from twcs_classifier.processed import read_processed
    from twcs_classifier.runtime import keras

    served = load_model(built_project / "models" / model)
    served.network = keras().models.load_model(built_project / "models" / model / "model.keras", compile=False)
    _, ids = read_processed(["test"], Layout(built_project))
    assert served.check_export(ids["test"]) <= 1e-5
    test = pd.read_parquet(built_project / "data/processed/test.parquet")
    from_ids = served.proba_from_logits(served.served.logits_of(ids["test"]))
    # The same ids (test_the_stage_ids_are_the_serving_ids_...); a token's n-gram sum, the difference of two
    # float64 running sums, can round to a float32 one unit apart where the token sits elsewhere in a batch.
    np.testing.assert_allclose(served.predict_proba(test["text"].tolist()), from_ids, atol=1e-7)


def test_cli_predicts_one_text_and_a_csv(built_project: Path, tmp_path: Path) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    cmd = [sys.executable, "-m", "twcs_classifier", "predict", "@AmazonHelp where is my parcel?"]
    proc = subprocess.run(cmd, cwd=built_project, env=env, capture_output=True, text=True, check=True)
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    assert row["label"] == "inbound" and 0.5 <= row["confidence"] <= 1.0
    assert proc.stderr == ""  # no TensorFlow log lines
    for name in MODELS:  # every trained model by name, giving what the serving path gives
        proc = subprocess.run([*cmd, "--model", name], cwd=built_project, env=env, capture_output=True, text=True)
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
        expected = inference.predict(load_model(built_project / "models" / name), [cmd[-1]])[0]
        assert json.loads(proc.stdout)["p_inbound"] == inference.shown_probability(expected.p_inbound)
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": [1, 2, 3], "tweet": ["@Delta lost my bag", "@123 Sorry, please DM us ^JK", None]}).to_csv(
        src, index=False
    )
    dst = tmp_path / "out.csv"
    cmd = [
        sys.executable,
        "-m",
        "twcs_classifier",
        "predict",
        "--csv",
        str(src),
        "--text-column",
        "tweet",
        "--out",
        str(dst),
    ]
    summary = json.loads(
        subprocess.run(cmd, cwd=built_project, env=env, capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    assert summary == {"out": str(dst), "rows": 3, "labelled": 2, "inbound": 1, "outbound": 1, "missing_text": 1}
    result = pd.read_csv(dst)
    assert list(result.columns) == ["id", "tweet", "predicted_label", "p_inbound", "p_outbound", "confidence"]
    assert result["tweet"][0] == "@Delta lost my bag"  # exact (--spreadsheet-safe escapes it for a spreadsheet)


def test_cli_without_a_model_explains(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "twcs_classifier", "predict", "hello"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2 and "make run" in proc.stderr and "Traceback" not in proc.stderr


def test_metrics_and_plots_are_declared(built_project: Path) -> None:
    shown = json.loads(dvc("metrics", "show", "--json", cwd=built_project).stdout)
    files = set(shown["workspace"]["data"]) if "workspace" in shown else set(shown[""]["data"])
    assert {f"metrics/{m}.json" for m in MODELS} <= files
    plots = json.loads(dvc("plots", "show", "--json", cwd=built_project).stdout)["data"]
    assert any(k.startswith("ROC") for k in plots) and any(k.startswith("Precision-recall") for k in plots)
    assert sum(k.startswith("Confusion matrix") for k in plots) == len(MODELS)
    assert sum(k.startswith("Reliability") for k in plots) == 3


def test_noop_repro_runs_nothing_but_fetch_which_changes_nothing(built_project: Path) -> None:
    """fetch always runs (DVC cannot see data.raw_path's file change); with the same file it leaves
    its outputs as they were, so nothing after it runs and dvc.lock stays as it was."""
    lock = (built_project / "dvc.lock").read_text()
    proc = dvc("repro", cwd=built_project)
    assert ran_stages(proc.stdout) == ["fetch"] and ": unchanged" in proc.stdout
    assert (built_project / "dvc.lock").read_text() == lock


def test_one_model_param_reruns_only_that_model_compare_and_select(built_project: Path) -> None:
    path = built_project / "params.yaml"
    original = path.read_text()
    params = yaml.safe_load(original)
    params["models"]["lstm"]["units"] //= 2  # any change of value; halving stays in range
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        assert ran_stages(dvc("repro", cwd=built_project).stdout) == ["fetch", "train@lstm", "compare", "select"]
    finally:
        path.write_text(original)
    dvc("repro", cwd=built_project)  # back to the original outputs (from the run cache)


def test_metrics_show_is_a_table_a_person_can_read(built_project: Path) -> None:
    """`dvc metrics show`: one row per model, the headline numbers only (no params, strings or
    timings), test accuracy first; 22 columns about 460 characters wide (117 columns and 3,391
    characters before the details moved out)."""
    shown = json.loads(dvc("metrics", "show", "--json", cwd=built_project).stdout)
    data = (shown.get("workspace") or shown[""])["data"]
    leaves = [v for m in MODELS for part in data[f"metrics/{m}.json"]["data"].values() for v in part.values()]
    assert leaves and all(isinstance(v, int | float) and not isinstance(v, bool) for v in leaves)
    lines = dvc("metrics", "show", cwd=built_project).stdout.splitlines()
    header = lines[0].split()
    assert header[:2] == ["Path", "test.accuracy"] and len(header) <= 40, header
    assert [line.split()[0] for line in lines[1:]] == [f"metrics/{m}.json" for m in MODELS]
    assert max(len(line) for line in lines) <= 520, max(len(line) for line in lines)


def test_rerun_gives_the_same_metrics_and_an_empty_metrics_diff(built_project: Path) -> None:
    """A forced rerun with the same params gives the same numbers: `dvc metrics diff` against the
    committed run prints nothing, and compare, which reads no timings, does not rerun."""
    before = read(built_project, "metrics/details/gru.json")
    dvc("repro", "--force", "--single-item", "train@gru", cwd=built_project)
    assert read(built_project, "metrics/details/gru.json") == before
    assert dvc("metrics", "diff", cwd=built_project).stdout.strip() == ""
    assert "compare" not in ran_stages(dvc("repro", cwd=built_project).stdout)


def test_exp_run_temp_trains_in_its_own_workspace(built_project: Path) -> None:
    """`dvc exp run --temp -S` in a temporary workspace DVC fills from its cache (the raw data
    included): only the GRU, compare and select run, the experiment has its param and metrics,
    and the workspace is untouched. One GRU epoch keeps it cheap (about a minute)."""
    workspace = {p: (built_project / p).read_text() for p in ("params.yaml", "metrics/gru.json")}
    proc = dvc("exp", "run", "--temp", "-n", "gru-one-epoch", "-S", "models.gru.epochs=1", cwd=built_project)
    assert ran_stages(proc.stdout) == ["fetch", "train@gru", "compare", "select"], proc.stdout[-3000:]
    assert {p: (built_project / p).read_text() for p in workspace} == workspace
    rows = json.loads(dvc("exp", "show", "--json", cwd=built_project).stdout)
    exps = [e for row in rows for e in row.get("experiments") or []]
    (exp,) = [e for e in exps if e.get("name") == "gru-one-epoch"]
    data = exp["revs"][0]["data"]
    assert data["params"]["params.yaml"]["data"]["models"]["gru"]["epochs"] == 1
    gru = data["metrics"]["metrics/gru.json"]["data"]
    assert gru["training"]["epochs_trained"] == 1 and 0.5 < gru["test"]["accuracy"] <= 1.0


def test_a_failed_select_keeps_the_served_model_and_names_the_commands_that_restore(built_project: Path) -> None:
    """select's input kept in git is broken: select stops, models/selected (persistent, replaced
    only when a model is accepted) is served as before, and the message names `git checkout`,
    which brings the file back (`dvc checkout` does not restore what is kept in git)."""
    from conftest import git

    served = {p.relative_to(built_project): p.read_bytes() for p in (built_project / "models/selected").rglob("*")}
    details = built_project / "metrics" / "details" / "gru.json"
    original = details.read_text()
    details.write_text("{broken")
    try:
        proc = dvc("repro", "--single-item", "select", cwd=built_project, check=False)
        assert proc.returncode != 0
        assert "metrics/details/gru.json cannot be read as JSON" in proc.stderr, proc.stderr
        assert "`git checkout -- metrics/details/gru.json`" in proc.stderr
        assert "models/selected is left as it was" in proc.stderr and "Traceback" not in proc.stderr
        now = {p.relative_to(built_project): p.read_bytes() for p in (built_project / "models/selected").rglob("*")}
        assert now == served
        git(built_project, "checkout", "--", "metrics/details/gru.json")  # the command the message names
        assert details.read_text() == original
    finally:
        details.write_text(original)
    assert ran_stages(dvc("repro", cwd=built_project).stdout) == ["fetch"]  # all as it was


def imported_files(modules: list[str]) -> set[str]:
    """The project files of imported modules, as dvc.yaml names them (the models package as
    its folder; the ``stages`` package's empty ``__init__`` left out)."""
    files = set()
    for module in modules:
        top, *rest = module.split(".")
        if top == "stages":
            files |= {f"stages/{rest[0]}.py"} if rest else set()
        elif rest[:1] == ["models"]:
            files.add("src/twcs_classifier/models")
        else:
            files.add("src/twcs_classifier/" + ("/".join(rest) + ".py" if rest else "__init__.py"))
    return files


def test_each_stages_code_deps_are_exactly_the_modules_it_imports(built_project: Path) -> None:
    """Every stage recorded, at the end of its real run under `dvc repro` (lazy imports included:
    tests/import_probe), the project modules it imported; its code deps in dvc.yaml are exactly
    those files (a matrix stage: those of all its items), so editing a module reruns only the
    stages that run it, and every stage that does."""
    stages = yaml.safe_load((built_project / "dvc.yaml").read_text())["stages"]
    imported: dict[str, set[str]] = {}
    for log in sorted(stage_imports_dir(built_project).glob("*.txt")):
        stage = log.stem.split("@")[0]
        imported.setdefault(stage, set()).update(imported_files(log.read_text().split()))
    assert set(imported) == set(stages), sorted(imported)
    for stage, files in imported.items():
        deps = {dep for dep in stages[stage]["deps"] if dep.startswith(("src/", "stages/"))}
        assert deps == files, f"{stage}: undeclared {sorted(files - deps)}, never imported {sorted(deps - files)}"
