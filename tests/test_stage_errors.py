"""Bad input and bad params through the stages: a message naming problem and fix, exit
code 2, no traceback, and nothing written (or the last good output kept).

Each test builds its tiny files and a params.yaml (the repository's, changed) in a
temporary folder and runs the stage as DVC would: ``python -m stages.<stage>``.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import PARAMS, REPO, copy_repo, dvc

HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
ROWS = "".join(
    f"{i},{'cust' if i % 2 else 'Brand'}{i},{'True' if i % 2 else 'False'},x,tweet number {i},,\n" for i in range(1, 21)
)


def params_with(changes: dict[str, object]) -> dict:
    """The repository's params with ``{"a.b.c": value}`` changes (value ``...`` deletes the key)."""
    params = copy.deepcopy(PARAMS)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = params
        for part in parents:
            node = node[part]
        if value is ...:
            del node[last]
        else:
            node[last] = value
    return params


def run_stage(root: Path, stage: str, *args: str, params: dict | None = None) -> subprocess.CompletedProcess[str]:
    (root / "params.yaml").write_text(yaml.safe_dump(params if params is not None else PARAMS, sort_keys=False))
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-m", f"stages.{stage}", *args], cwd=root, env=env, capture_output=True, text=True
    )


def assert_clean_failure(proc: subprocess.CompletedProcess[str], *says: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "How to fix:" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    for text in says:
        assert text in proc.stderr, proc.stderr


# -- fetch: data.raw_path is checked before anything else runs ------------------------------------------
def test_fetch_links_a_file_elsewhere_into_the_pipeline(tmp_path: Path) -> None:
    source = tmp_path / "elsewhere" / "my_twcs.csv"
    source.parent.mkdir()
    source.write_text(HEADER + ROWS)
    proc = run_stage(tmp_path, "fetch", params=params_with({"data.raw_path": str(source)}))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "data/raw/twcs.csv").read_text() == HEADER + ROWS


def test_fetch_unpacks_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "twcs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("twcs/twcs.csv", HEADER + ROWS)
    proc = run_stage(tmp_path, "fetch", params=params_with({"data.raw_path": str(archive)}))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "data/raw/twcs.csv").read_text() == HEADER + ROWS


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.mkdir(), "is not a file"),
        (
            lambda p: _zip(p, {"a/twcs.csv": HEADER + ROWS, "b/twcs.csv": HEADER}),
            "holds 2 files named twcs.csv (a/twcs.csv, b/twcs.csv)",
        ),
        (lambda p: _zip(p, {"readme.txt": "x"}), "holds no twcs.csv"),
    ],
    ids=["missing", "directory", "zip-with-two", "zip-with-none"],
)
def test_a_bad_raw_path_stops_fetch_and_keeps_the_last_copy(tmp_path: Path, make, says: str) -> None:
    kept = tmp_path / "data" / "raw" / "twcs.csv"
    kept.parent.mkdir(parents=True)
    kept.write_text(HEADER + ROWS)
    bad = tmp_path / "input" / "twcs.zip"
    bad.parent.mkdir()
    make(bad)
    assert_clean_failure(run_stage(tmp_path, "fetch", params=params_with({"data.raw_path": str(bad)})), says)
    assert kept.read_text() == HEADER + ROWS


def _zip(path: Path, members: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)


# -- extract: bad files --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        (b"", "is empty"),
        (b"a,b\n1,2\n", "lacks the column(s)"),
        ((HEADER + "1,a,perhaps,x,hello,,\n").encode(), "'perhaps'"),
        ((HEADER + "1,a,True,x,caf\xe9,,\n").encode("latin-1"), "not valid UTF-8"),
        ((HEADER.replace("created_at", "text") + "1,a,True,x,hello,,\n").encode(), "text more than once"),
    ],
    ids=["missing", "empty", "columns", "inbound", "latin-1", "duplicate-header"],
)
def test_extract_stage_fails_cleanly(tmp_path: Path, content, message) -> None:
    raw = tmp_path / "data" / "raw" / "twcs.csv"
    if content is not None:
        raw.parent.mkdir(parents=True)
        raw.write_bytes(content)
    assert_clean_failure(run_stage(tmp_path, "extract"), message)
    assert not (tmp_path / "data" / "interim").exists() or not any((tmp_path / "data" / "interim").iterdir())


def test_extract_accounts_for_every_record(tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw" / "twcs.csv"
    raw.parent.mkdir(parents=True)
    body = ROWS + '21,cust21,True,x,"a stray quote,,\n22,Brand22,False,x,swallowed,,\n23,cust23,True,x,"end",,\n'
    raw.write_text(HEADER + body + "24,cust24,True,x,   ,,\n")
    proc = run_stage(tmp_path, "extract")
    assert proc.returncode == 0, proc.stderr
    report = yaml.safe_load((tmp_path / "data/interim/extract_report.json").read_text())
    dropped = sum(v for k, v in report.items() if k.startswith("dropped_"))
    assert report["rows_read"] == 24 == report["rows_written"] + dropped
    assert report["dropped_quote_error"] == 3 and report["dropped_empty_text"] == 1
    assert "24 records read" in proc.stdout
    assert oct((tmp_path / "data/interim/tweets.parquet").stat().st_mode & 0o777) != oct(0o600)


# -- params: every stage validates params.yaml ------------------------------------------------------------
@pytest.mark.parametrize(
    ("stage", "changes", "says"),
    [
        ("extract", {"sample.n_tset": 5}, "sample.n_tset is not a known key (did you mean n_test?)"),
        ("sample", {"sample.holdout_brand": ["Delta"]}, "did you mean holdout_brands?"),
        ("sample", {"base.seed": 42.9}, "base.seed is 42.9, not a whole number"),
        ("sample", {"sample.n_train": 9000.9}, "sample.n_train is 9000.9, not a whole number"),
        ("sample", {"sample.val_fraction": 1.5}, "sample.val_fraction is 1.5, not a number > 0.0 and < 1.0"),
        ("sample", {"sample.n_test": 50}, "below the floor sample.min_split = 300"),
        ("clean_tokenize", {"clean_tokenize.mask": "maybe"}, "clean_tokenize.mask is 'maybe', not true or false"),
        ("compare", {"compare.rank_by": "f1_marco"}, "compare.rank_by is 'f1_marco', not one of: f1_macro"),
        ("compare", {"select.model": "bert"}, "set select.model to one of: logreg, simple_rnn, lstm, gru, best"),
        ("select", {"models.gru.units": "sixty"}, "models.gru.units is 'sixty', not a whole number >= 1"),
        ("select", {"models.gru.epochs": 0}, "models.gru.epochs is 0, not a whole number >= 1"),
        ("fetch", {"data.raw_path": ...}, "data.raw_path is missing"),
    ],
)
def test_bad_params_stop_every_stage(tmp_path: Path, stage: str, changes: dict, says: str) -> None:
    proc = run_stage(tmp_path, stage, params=params_with(changes))
    assert_clean_failure(proc, "params.yaml", says)
    assert not (tmp_path / "data").exists() and not (tmp_path / "models").exists()


def test_train_with_bad_params_names_the_key(tmp_path: Path) -> None:
    proc = run_stage(tmp_path, "train", "gru", params=params_with({"models.gru.dropout": 1.0}))
    assert_clean_failure(proc, "models.gru.dropout is 1.0, not a number >= 0.0 and < 1.0")


def test_a_params_file_that_is_not_yaml(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text("base:\n  seed: 42\n sample: [\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "stages.extract"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert_clean_failure(proc, "params.yaml is not valid YAML")


def test_a_missing_input_of_a_later_stage_says_what_to_run(tmp_path: Path) -> None:
    assert_clean_failure(run_stage(tmp_path, "select"), "metrics/compare.json is missing", "dvc repro compare")


# -- under DVC: a failed run keeps the outputs of the last good one ------------------------------------------
def test_dvc_repro_with_a_missing_raw_file_keeps_the_last_outputs(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "project")
    good = tmp_path / "good.csv"
    good.write_text(HEADER + ROWS)
    (root / "params.yaml").write_text(yaml.safe_dump(params_with({"data.raw_path": str(good)}), sort_keys=False))
    dvc("repro", "extract", cwd=root)
    outputs = [
        root / "data/raw/twcs.csv",
        root / "data/interim/tweets.parquet",
        root / "data/interim/extract_report.json",
    ]
    before = {p: p.read_bytes() for p in outputs}

    missing = tmp_path / "nowhere" / "twcs.csv"
    (root / "params.yaml").write_text(yaml.safe_dump(params_with({"data.raw_path": str(missing)}), sort_keys=False))
    proc = dvc("repro", "extract", cwd=root, check=False)
    assert proc.returncode != 0
    assert f"data.raw_path is {missing}, which does not exist" in proc.stderr and "How to fix:" in proc.stderr
    assert {p: p.read_bytes() for p in outputs} == before

    # Every data output, the reports too, is in DVC's cache: `dvc checkout` restores a lost one.
    (root / "data/interim/extract_report.json").unlink()
    (root / "params.yaml").write_text(yaml.safe_dump(params_with({"data.raw_path": str(good)}), sort_keys=False))
    dvc("checkout", "extract", cwd=root)
    assert (root / "data/interim/extract_report.json").read_bytes() == before[outputs[2]]
