"""The command line (python -m twcs_classifier) on a tiny model trained here: help with
examples, --model by name, a progress bar on CSVs, TensorFlow's native log lines kept off
stderr; every bad input ends in a message (problem and how to fix it) with exit code 2,
never a traceback; good input gives a correct result."""

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
from test_files import fifo, unix_socket
from test_models import data

from twcs_classifier import inference, native_logs, serving, user_csv
from twcs_classifier.__main__ import main
from twcs_classifier.models import LabelledTexts, build_model

TEXTS = ["@Delta where is my bag", "@AmazonHelp my order is late", "@12 sorry, please DM us", "@34 we can help, DM us"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A logistic regression trained on a few texts, saved as ``models/logreg`` of a project
    (with no models/selected)."""
    texts = TEXTS * 10
    labels = np.array([1, 1, 0, 0] * 10)
    model = build_model({"kind": "logreg", "min_df": 1}, seed=0).fit(LabelledTexts(texts, labels))
    directory = tmp_path_factory.mktemp("cli") / "models" / "logreg"
    model.save(directory)
    return directory


@pytest.fixture
def project(model_dir: Path) -> Path:
    """The project that holds ``model_dir``: one trained model, models/logreg."""
    return model_dir.parents[1]


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


def test_explain_adds_each_words_score(capsys, model_dir: Path) -> None:
    text = "@12 sorry, please DM us"
    code, out, _ = cli(capsys, "--model-dir", str(model_dir), "--explain", text)
    line = json.loads(out)
    expected = inference.explain(inference.load_selected(model_dir), text)
    assert code == 0 and line["words"] == [[token, round(score, 4)] for token, score in expected]
    assert [word for word, _ in line["words"]] == ["@12", "sorry,", "please", "dm", "us"]
    failed(cli(capsys, "--model-dir", str(model_dir), "--explain", "--csv", "in.csv", "--out", "o.csv"), "--explain")


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
    # Outside a project no stage writes it again: the message says so, not `dvc repro` of a stage
    # that would write another folder (test_restore_hints_name_commands_that_work has the project's).
    failed(cli(capsys, "--model-dir", str(broken), "hello"), says, "outside any DVC project", "save it there again")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


# -- --csv ----------------------------------------------------------------------------------------------------
def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_csv_is_labelled_exactly_or_for_a_spreadsheet(capsys, model_dir: Path, tmp_path: Path) -> None:
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
        "labelled": 2,
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
    assert got["text"].tolist() == ["@Delta where is my bag 😡", "   ", "=cmd|' /C calc'!A0", ""]  # exactly
    assert got["predicted_label"].tolist()[1::2] == ["", ""]
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 != 0o600 and not stale.exists()

    args = ("--model-dir", str(model_dir), "--csv", str(src), "--out", str(tmp_path / "excel.csv"))
    code, _, err = cli(capsys, *args, "--spreadsheet-safe")
    assert code == 0, err
    safe = pd.read_csv(tmp_path / "excel.csv", dtype=str, keep_default_na=False)  # the byte-order mark is read
    assert safe["text"].tolist() == ["'@Delta where is my bag 😡", "   ", "'=cmd|' /C calc'!A0", ""]
    assert safe["predicted_label"].tolist() == got["predicted_label"].tolist()


# Texts a spreadsheet would run, quotes, line breaks (LF, CRLF, a bare CR), spaces, unicode, and
# ids with leading zeros: a program reading the labelled CSV gets every one back as it was.
ROUND_TRIP = pd.DataFrame(
    {
        "tweet_id": ["0012", "13", "0", "15", "16", "17", "18", "19"],
        "text": [
            '=HYPERLINK("http://x") @Delta where is my bag',
            "+1 @AmazonHelp my order is late",
            "-2 @12 sorry, please DM us",
            "@34 we can help, DM us",
            'He said "hi",\nthen left\r\nand @Delta lost it\rtoo',
            "  @Delta où est mon sac 😡  ",
            "'@quoted already",
            "",
        ],
        "inbound": ["True", "True", "False", "False", "True", "True", "1", "0"],
    }
)


def test_a_labelled_csv_reads_back_exactly_and_relabels_the_same(capsys, model_dir: Path, tmp_path: Path) -> None:
    src, out, again = tmp_path / "in.csv", tmp_path / "out.csv", tmp_path / "again.csv"
    ROUND_TRIP.to_csv(src, index=False)
    code, stdout, err = cli(capsys, "--model-dir", str(model_dir), "--csv", str(src), "--out", str(out))
    assert code == 0, err
    summary = json.loads(stdout)
    given = pd.read_csv(src, dtype=str, keep_default_na=False)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    for column in ROUND_TRIP.columns:  # byte for byte, as the input file has them
        assert got[column].tolist() == given[column].tolist() == ROUND_TRIP[column].tolist(), column
    # The inbound column is recognised and scored, as in the app (one function: serving.label_metrics).
    table = serving.predict_dataframe(inference.load_selected(model_dir), user_csv.read_csv_upload(src), "text")
    scores = serving.label_metrics(table, "inbound")
    assert summary["label_column"] == "inbound" and summary["rows_scored"] == 7 == scores["rows_scored"]
    assert summary["accuracy"] == round(scores["accuracy"], 4) and summary["f1_macro"] == round(scores["f1_macro"], 4)

    code, stdout, err = cli(capsys, "--model-dir", str(model_dir), "--csv", str(out), "--out", str(again))
    assert code == 0, err
    relabelled = pd.read_csv(again, dtype=str, keep_default_na=False)
    assert relabelled["predicted_label_1"].tolist() == got["predicted_label"].tolist()
    assert relabelled["p_inbound_1"].tolist() == got["p_inbound"].tolist()  # every digit, too
    assert json.loads(stdout)["accuracy"] == summary["accuracy"]
    args = ("--model-dir", str(model_dir), "--csv", str(src), "--out", str(again))
    code, stdout, _ = cli(capsys, *args, "--label-column", "")  # none: no figures
    assert code == 0 and "accuracy" not in json.loads(stdout)
    failed(cli(capsys, *args, "--label-column", "gold"), "the CSV has no column 'gold'")


def test_latin1_needs_its_encoding(capsys, model_dir: Path, tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", "text\n@SNCF où est mon train\n".encode("latin-1"))
    out = tmp_path / "out.csv"
    args = ("--model-dir", str(model_dir), "--csv", str(src), "--out", str(out))
    failed(cli(capsys, *args), "is not valid utf-8: byte 0xf9 at line 2, byte 8", "--encoding latin-1")
    assert not out.exists()
    code, _, err = cli(capsys, *args, "--encoding", "latin-1")
    assert code == 0, err
    assert pd.read_csv(out)["text"].tolist() == ["@SNCF où est mon train"]


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


@pytest.mark.parametrize(
    ("make_out", "says"),
    [
        (lambda t: fifo(t / "out.csv"), "it is a FIFO (named pipe), not a file"),
        (lambda t: unix_socket(t / "out.csv"), "it is a socket, not a file"),
        (lambda t: _symlink(t / "out.csv", "real.csv"), "it is a symbolic link (to real.csv)"),
    ],
    ids=["fifo", "socket", "symlink"],
)
def test_out_is_never_written_over_what_is_not_a_regular_file(
    capsys, model_dir: Path, tmp_path: Path, make_out, says: str
) -> None:
    src = write(tmp_path / "in.csv", b"text\n@Delta where is my bag\n")
    out = make_out(tmp_path)
    before = os.lstat(out)
    failed(cli(capsys, "--model-dir", str(model_dir), "--csv", str(src), "--out", str(out)), says)
    after = os.lstat(out)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert not (tmp_path / "real.csv").exists()  # a link is not written through either


def _symlink(path: Path, target: str) -> Path:
    path.symlink_to(target)
    return path


@pytest.mark.parametrize(
    ("make_in", "says"),
    [
        (lambda t: fifo(t / "in.csv"), "is a FIFO (named pipe), not a regular file"),
        (lambda t: Path("/dev/zero"), "/dev/zero is a character device, not a regular file"),
    ],
    ids=["fifo", "dev-zero"],
)
def test_an_input_that_is_not_a_regular_file_is_refused_before_reading(
    capsys, model_dir: Path, tmp_path: Path, make_in, says: str
) -> None:
    src = make_in(tmp_path)  # reading either would block or never end
    out = tmp_path / "out.csv"
    failed(cli(capsys, "--model-dir", str(model_dir), "--csv", str(src), "--out", str(out)), says, "save piped")
    assert not out.exists()


def test_a_huge_cell_is_read_and_cut_for_prediction(capsys, model_dir: Path, tmp_path: Path) -> None:
    huge = "@Delta where is my bag " + "x" * 1_000_000  # past csv's default field limit (131,072)
    src = write(tmp_path / "in.csv", f'text,n\n"{huge}",1\n@12 sorry please DM us,2\n'.encode())
    code, _, err = cli(capsys, "--model-dir", str(model_dir), "--csv", str(src), "--out", str(tmp_path / "out.csv"))
    assert code == 0, err
    got = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert got["text"][0] == huge  # written back whole, exactly
    model = inference.load_selected(model_dir)
    assert float(got["p_inbound"][0]) == pytest.approx(
        inference.predict_proba(model, [huge[: inference.MAX_TEXT_CHARS]])[0]
    )


def test_a_utf8_file_read_as_latin1_is_refused_not_garbled(capsys, model_dir: Path, tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", "text\n@SNCF où est mon train? Très déçu\n".encode())
    out = tmp_path / "out.csv"
    for encoding in ("latin-1", "cp1252", "utf-16"):
        failed(
            cli(capsys, "--model-dir", str(model_dir), "--csv", str(src), "--out", str(out), "--encoding", encoding),
            f"is UTF-8 text, but it was to be read as {encoding}" if encoding != "utf-16" else "not valid utf-16",
        )
        assert not out.exists()
    code, _, err = cli(
        capsys, "--model-dir", str(model_dir), "--csv", str(src), "--out", str(out), "--encoding", "latin-1"
    )
    assert "'@SNCF oÃ¹ est mon train? TrÃ¨s dÃ©Ã§u' instead of '@SNCF où est mon train? Très déçu'" in err
    assert "leave out --encoding" in err and "iconv -f iso8859-1 -t utf-8" in err
    ascii_only = write(tmp_path / "ascii.csv", b"text\n@Delta where is my bag\n")  # the same in both: read
    code, _, err = cli(
        capsys, "--model-dir", str(model_dir), "--csv", str(ascii_only), "--out", str(out), "--encoding", "latin-1"
    )
    assert code == 0, err


def test_running_out_of_memory_gives_advice_for_the_cli(capsys, model_dir: Path, tmp_path: Path, monkeypatch) -> None:
    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(serving, "read_csv_upload", no_memory)
    src = write(tmp_path / "in.csv", b"text\nhi\n")
    result = cli(capsys, "--model-dir", str(model_dir), "--csv", str(src), "--out", str(tmp_path / "out.csv"))
    failed(result, "ran out of memory", "label it in parts")
    assert "params.yaml" not in result[2]


def test_fetch_data_with_a_bad_params_file_is_an_error(capsys, tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text("data: {raw_path: 3}\n")
    code = main(["fetch-data", "--params", str(tmp_path / "params.yaml")])
    _, err = capsys.readouterr()
    assert code == 2 and "data.raw_path is 3, not a text" in err


# -- --model, --progress, help and native logs ------------------------------------------------------------
def test_help_shows_examples_without_markup(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["predict", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
        text = capsys.readouterr().out
        assert "examples:" in text and "predict --model logreg" in text and "predict --csv" in text
        assert "``" not in text
    assert "--model NAME" in text and "--progress" in text and "--encoding" in text


def test_model_by_name(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    assert main(["predict", "--model", "logreg", "@Delta where is my bag"]) == 0
    row = json.loads(capsys.readouterr().out)
    model = inference.load_named("logreg")
    expected = inference.predict(model, ["@Delta where is my bag"])[0]
    assert row["label"] == expected.label and row["p_inbound"] == inference.shown_probability(expected.p_inbound)
    failed(cli(capsys, "--model", "logreg", "  "), "text #1 of 1 is blank")  # a model by name refuses blanks too


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
    assert native_logs.native_log_noise(line, level) is noise


def test_quiet_native_logs_drops_noise_and_keeps_the_rest(capfd: pytest.CaptureFixture[str]) -> None:
    with native_logs.quiet_native_logs():
        os.write(2, NOISE)
        os.write(2, b"a real problem\n")
        print("a Python message", file=__import__("sys").stderr)
    err = capfd.readouterr().err
    assert "oneDNN" not in err and "a real problem" in err and "a Python message" in err
    os.write(2, NOISE)  # afterwards stderr is as it was
    assert "oneDNN" in capfd.readouterr().err


def test_a_csv_by_model_name_in_its_encoding_with_a_progress_bar(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    src = write(tmp_path / "in.csv", "text\n@SNCF où est mon train\n   \n".encode("latin-1"))
    out = tmp_path / "out.csv"
    args = ("--model", "logreg", "--csv", str(src), "--out", str(out), "--progress", "always")
    code, stdout, err = cli(capsys, *args, "--encoding", "latin-1")
    assert code == 0, err
    assert json.loads(stdout)["missing_text"] == 1 and "2/2" in err
    assert pd.read_csv(out)["text"].tolist()[0] == "@SNCF où est mon train"
