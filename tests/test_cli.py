"""The CLI on a tiny model trained here: every bad input ends in a message (problem and how
to fix it) with exit code 2, never a traceback; good input gives a correct result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twcs_classifier.__main__ import main
from twcs_classifier.models import LabelledTexts, build_model

TEXTS = ["@Delta where is my bag", "@AmazonHelp my order is late", "@12 sorry, please DM us", "@34 we can help, DM us"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A logistic regression trained on a few texts, saved as ``models/logreg`` would be."""
    texts = TEXTS * 10
    labels = np.array([1, 1, 0, 0] * 10)
    model = build_model({"kind": "logreg", "min_df": 1}, seed=0).fit(LabelledTexts(texts, labels))
    directory = tmp_path_factory.mktemp("models") / "logreg"
    model.save(directory)
    return directory


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["predict", *args])
    out, err = capsys.readouterr()
    return code, out, err


def failed(result: tuple[int, str, str], *says: str) -> None:
    code, _, err = result
    assert code == 2, err
    assert err.startswith("error: ") and "How to fix:" in err and "Traceback" not in err, err
    for text in says:
        assert text in err, err


def test_one_text_is_labelled(capsys, model_dir: Path) -> None:
    code, out, _ = cli(capsys, "--model-dir", str(model_dir), "@Delta where is my bag")
    assert code == 0 and json.loads(out)["label"] == "inbound"


@pytest.mark.parametrize("text", ["", "   ", "\t\n"], ids=["empty", "spaces", "whitespace"])
def test_a_blank_text_is_an_error(capsys, model_dir: Path, text: str) -> None:
    failed(cli(capsys, "--model-dir", str(model_dir), "@Delta hi", text), "text #2 of 2 is blank")


def test_a_text_argument_that_is_not_utf8_is_an_error(model_dir: Path) -> None:
    cmd = [sys.executable.encode(), b"-m", b"twcs_classifier", b"predict", b"--model-dir", bytes(model_dir), b"caf\xe9"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "text argument #1 is not valid UTF-8 (byte 0xe9 at position 4)" in proc.stderr


def test_no_model_says_how_to_build_one(capsys, tmp_path: Path) -> None:
    failed(cli(capsys, "--model-dir", str(tmp_path / "none"), "hello"), "no trained model", "make run")


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda d: (d / "model.json").write_text('{"kind": "logreg", "par'), "model.json cannot be read"),
        (lambda d: _truncate(d / "model.skops"), "model.skops cannot be loaded"),
        (lambda d: _truncate(d / "vocabulary_words.json"), "vocabulary_words.json cannot be loaded"),
        (lambda d: (d / "model.json").write_text('{"kind": "svm"}'), "unknown model kind 'svm'"),
    ],
    ids=["model.json", "model.skops", "vocabulary", "kind"],
)
def test_a_damaged_model_names_the_file_and_the_rebuild(capsys, model_dir: Path, tmp_path: Path, damage, says) -> None:
    broken = tmp_path / "logreg"
    shutil.copytree(model_dir, broken)
    damage(broken)
    failed(cli(capsys, "--model-dir", str(broken), "hello"), says, "dvc repro --force train@logreg")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


# -- --csv ----------------------------------------------------------------------------------------------------
def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_csv_is_labelled_safely(capsys, model_dir: Path, tmp_path: Path) -> None:
    src = write(
        tmp_path / "in.csv",
        "id,text,confidence\n1,@Delta where is my bag 😡,high\n2,   ,low\n3,=cmd|' /C calc'!A0,x\n4,,y\n".encode(),
    )
    stale = tmp_path / ".out.csv.999999999.abc.tmp"  # left by a killed run
    stale.write_text("half")
    code, out, err = cli(capsys, "--model-dir", str(model_dir), "--csv", str(src), "--out", str(tmp_path / "out.csv"))
    assert code == 0, err
    assert json.loads(out) == {
        "out": str(tmp_path / "out.csv"),
        "rows": 4,
        "inbound": 1,
        "outbound": 1,
        "missing_text": 2,
    }
    got = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert list(got.columns) == [
        "id",
        "text",
        "confidence",
        "predicted_label",
        "p_inbound",
        "p_outbound",
        "confidence_1",
    ]
    assert got["confidence"].tolist() == ["high", "low", "x", "y"]  # the input column is kept
    assert got["text"].tolist() == ["'@Delta where is my bag 😡", "   ", "'=cmd|' /C calc'!A0", ""]
    assert got["predicted_label"].tolist()[1::2] == ["", ""]
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 != 0o600 and not stale.exists()


def test_latin1_needs_its_encoding(capsys, model_dir: Path, tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", "text\n@SNCF où est mon train\n".encode("latin-1"))
    out = tmp_path / "out.csv"
    args = ("--model-dir", str(model_dir), "--csv", str(src), "--out", str(out))
    failed(cli(capsys, *args), "is not valid utf-8: byte 0xf9 at line 2, byte 8", "--encoding latin-1")
    assert not out.exists()
    code, _, err = cli(capsys, *args, "--encoding", "latin-1")
    assert code == 0, err
    assert pd.read_csv(out)["text"].tolist() == ["'@SNCF où est mon train"]


@pytest.mark.parametrize(
    ("make_in", "make_out", "says"),
    [
        (lambda t: t / "missing.csv", lambda t: t / "out.csv", "cannot read"),
        (lambda t: _dir(t / "folder.csv"), lambda t: t / "out.csv", "is a directory"),
        (lambda t: write(t / "in.csv", b"text\nhi\n"), lambda t: _dir(t / "outdir"), "is a directory"),
        (lambda t: write(t / "in.csv", b"text\nhi\n"), lambda t: t / "in.csv", "is the input file"),
        (lambda t: write(t / "in.csv", b"text\nhi\n"), lambda t: write(t / "f", b"x") / "out.csv", "is a file"),
        (lambda t: write(t / "in.csv", b"text,n\nhi,1,2\n"), lambda t: t / "out.csv", "line 2 of"),
        (lambda t: write(t / "in.csv", b"text,text\nhi,yo\n"), lambda t: t / "out.csv", "more than once"),
        (lambda t: write(t / "in.csv", b"tweet\nhi\n"), lambda t: t / "out.csv", "no column 'text'"),
    ],
    ids=["missing", "input-directory", "out-directory", "out-is-input", "out-under-a-file", "ragged", "dup", "column"],
)
def test_bad_csv_arguments_are_errors(capsys, model_dir: Path, tmp_path: Path, make_in, make_out, says) -> None:
    src, dst = make_in(tmp_path), make_out(tmp_path)
    before = src.read_bytes() if src.is_file() else None
    failed(cli(capsys, "--model-dir", str(model_dir), "--csv", str(src), "--out", str(dst)), says)
    if before is not None:
        assert src.read_bytes() == before  # the input is never touched


def _dir(path: Path) -> Path:
    path.mkdir()
    return path


def test_fetch_data_with_a_bad_params_file_is_an_error(capsys, tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text("data: {raw_path: 3}\n")
    code = main(["fetch-data", "--params", str(tmp_path / "params.yaml")])
    _, err = capsys.readouterr()
    assert code == 2 and "data.raw_path is 3, not a text" in err
