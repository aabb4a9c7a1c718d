"""The command line (python -m twcs_classifier) on a tiny saved model: help with examples,
--model by name, a progress bar on CSVs, and TensorFlow's native log lines kept off stderr."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from test_models import data

from twcs_classifier import runtime, serving
from twcs_classifier.__main__ import main
from twcs_classifier.models import build_model


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with one trained model, models/logreg (and no models/selected)."""
    root = tmp_path_factory.mktemp("cli")
    build_model({"kind": "logreg", "min_df": 1}, seed=0).fit(data(60)).save(root / "models" / "logreg")
    return root


def test_help_shows_examples_without_markup(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["predict", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
        text = capsys.readouterr().out
        assert "examples:" in text and "predict --model logreg" in text and "predict --csv" in text
        assert "``" not in text
    assert "--model NAME" in text and "--progress" in text


def test_model_by_name(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    assert main(["predict", "--model", "logreg", "@Delta where is my bag"]) == 0
    row = json.loads(capsys.readouterr().out)
    model = serving.load_named("logreg")
    expected = serving.predict(model, ["@Delta where is my bag"])[0]
    assert row["label"] == expected.label and row["p_inbound"] == round(expected.p_inbound, 4)


def test_an_unknown_model_name_lists_the_trained_ones(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    assert main(["predict", "--model", "bert", "hello"]) == 2
    err = capsys.readouterr().err
    assert "no trained model 'bert'" in err and "pick one of: logreg" in err
    assert main(["predict", "--model", "logreg", "--model-dir", "models/logreg", "hello"]) == 2
    assert "give one of them" in capsys.readouterr().err


def test_a_csv_gets_a_progress_bar(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    pd.DataFrame({"text": data(25_000).texts}).to_csv(src, index=False)
    argv = ["predict", "--model-dir", str(project / "models" / "logreg"), "--csv", str(src), "--out", str(dst)]
    assert main([*argv, "--progress", "always"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["rows"] == 25_000
    assert "labelling" in captured.err and "25000/25000" in captured.err
    assert main([*argv, "--progress", "never"]) == 0
    assert "labelling" not in capsys.readouterr().err


NOISE = b"I0000 00:00:1796067783.330969    3198 port.cc:153] oneDNN custom operations are on.\n"


@pytest.mark.parametrize(
    ("line", "level", "noise"),
    [
        (NOISE, 2, True),
        (NOISE, 0, False),
        (b"W0512 10:01:02.123456 77 env.cc:9] something to note\n", 2, True),
        (b"W0512 10:01:02.123456 77 env.cc:9] something to note\n", 1, False),
        (b"E0000 00:00:1796068033.252760 6281 util.cc:131] could not open the file\n", 2, False),
        (b"E0000 00:00:1796068033.252760 6281 util.cc:131] could not open the file\n", 3, True),
        (
            b"E0000 00:00:1796068033.2 6281 util.cc:131] oneDNN supports DT_BOOL only on platforms with AVX-512. "
            b"Falling back to the default Eigen-based implementation if present.\n",
            2,
            True,
        ),
        (b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n", 2, True),
        (b"Traceback (most recent call last):\n", 3, False),
        (b"I0000 is not a log line\n", 2, False),
    ],
)
def test_native_log_noise(line: bytes, level: int, noise: bool) -> None:
    assert runtime.native_log_noise(line, level) is noise


def test_quiet_native_logs_drops_noise_and_keeps_the_rest(capfd: pytest.CaptureFixture[str]) -> None:
    with runtime.quiet_native_logs():
        os.write(2, NOISE)
        os.write(2, b"a real problem\n")
        print("a Python message", file=__import__("sys").stderr)
    err = capfd.readouterr().err
    assert "oneDNN" not in err and "a real problem" in err and "a Python message" in err
    os.write(2, NOISE)  # afterwards stderr is as it was
    assert "oneDNN" in capfd.readouterr().err
