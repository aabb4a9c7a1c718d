"""Bad input and bad params through the stages: a message naming problem and fix, exit
code 2, no traceback, and nothing written (or the last good output kept).

Each test builds its tiny files and a params.yaml (the repository's, changed) in a
temporary folder and runs the stage as DVC would: ``python -m stages.<stage>``.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import PARAMS, REPO, commit_all, copy_repo, dvc

from twcs_classifier.errors import PipelineError
from twcs_classifier.layout import Layout
from twcs_classifier.reading import sha256_file

HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
ROWS = "".join(
    f"{i},{'cust' if i % 2 else 'Brand'}{i},{'True' if i % 2 else 'False'},x,tweet number {i},,\n" for i in range(1, 21)
)


PYTHONPATH = os.pathsep.join([str(REPO / "src"), str(REPO)])
"""This checkout's package and stages first (an installed copy elsewhere, such as an editable
install of another worktree, must not be what the stages run)."""


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
    shutil.copy(REPO / "dvc.yaml", root / "dvc.yaml")  # the hints name the stages dvc.yaml has
    env = {**os.environ, "PYTHONPATH": PYTHONPATH, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-m", f"stages.{stage}", *args], cwd=root, env=env, capture_output=True, text=True
    )


def assert_clean_failure(proc: subprocess.CompletedProcess[str], *says: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "How to fix:" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    for text in says:
        assert text in proc.stderr, proc.stderr


# -- fetch: data.raw_path is checked before anything else runs ------------------------------------------
COPY = Layout().raw_data  # the pipeline's copy, relative to the project
REPORT = Layout().fetch_report


def test_fetch_copies_a_file_elsewhere_into_the_pipeline_and_records_it(tmp_path: Path) -> None:
    source = tmp_path / "elsewhere" / "my_twcs.csv"
    source.parent.mkdir()
    source.write_text(HEADER + ROWS)
    proc = run_stage(tmp_path, "fetch", params=params_with({"data.raw_path": str(source)}))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / COPY).read_text() == HEADER + ROWS
    assert os.stat(source).st_ino != os.stat(tmp_path / COPY).st_ino  # a copy, never a link to the user's file
    report = json.loads((tmp_path / REPORT).read_text())
    assert report["source"] == str(source) and report["sha256"] == report["source_sha256"] == sha256_file(source)
    assert report["bytes"] == source.stat().st_size and report["member"] is None
    assert "copied, after the checks" in proc.stdout

    stamp = (tmp_path / COPY).stat().st_mtime_ns
    again = run_stage(tmp_path, "fetch", params=params_with({"data.raw_path": str(source)}))
    assert again.returncode == 0 and "unchanged" in again.stdout
    assert (tmp_path / COPY).stat().st_mtime_ns == stamp  # nothing rewritten: nothing after fetch reruns


def test_fetch_unpacks_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "twcs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("twcs/twcs.csv", HEADER + ROWS)
    proc = run_stage(tmp_path, "fetch", params=params_with({"data.raw_path": str(archive)}))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / COPY).read_text() == HEADER + ROWS
    report = json.loads((tmp_path / REPORT).read_text())
    assert report["member"] == "twcs/twcs.csv" and report["source_sha256"] == sha256_file(archive)


def test_switching_raw_path_away_and_back_gives_the_first_files_content_back(tmp_path: Path) -> None:
    mine = tmp_path / "data" / "raw" / "twcs.csv"  # data.raw_path's default: the user's file
    mine.parent.mkdir(parents=True)
    mine.write_text(HEADER + ROWS)
    other = tmp_path / "other.csv"
    other.write_text(HEADER + ROWS.replace("tweet number", "another tweet"))
    assert run_stage(tmp_path, "fetch").returncode == 0
    assert (tmp_path / COPY).read_text() == HEADER + ROWS
    assert run_stage(tmp_path, "fetch", params=params_with({"data.raw_path": str(other)})).returncode == 0
    assert (tmp_path / COPY).read_text() == other.read_text()
    assert mine.read_text() == HEADER + ROWS  # the user's file is never written
    back = run_stage(tmp_path, "fetch")
    assert back.returncode == 0, back.stderr
    assert (tmp_path / COPY).read_text() == HEADER + ROWS and "copied" in back.stdout
    assert json.loads((tmp_path / REPORT).read_text())["source"] == "data/raw/twcs.csv"


def test_a_changed_source_is_fetched_again_and_a_missing_one_keeps_its_own_copy(tmp_path: Path) -> None:
    mine = tmp_path / "data" / "raw" / "twcs.csv"
    mine.parent.mkdir(parents=True)
    mine.write_text(HEADER + ROWS)
    assert run_stage(tmp_path, "fetch").returncode == 0
    mine.write_text(HEADER + ROWS + "21,cust21,True,x,one more,,\n")  # the same path, new content
    assert "copied" in run_stage(tmp_path, "fetch").stdout
    assert (tmp_path / COPY).read_text() == mine.read_text()
    # Where git-ignored files are not there (a fresh clone after `dvc pull`, `dvc exp run --temp`),
    # the copy of that same path is kept, checked against the sha256 it was recorded with, and said so.
    kept = mine.read_text()
    mine.unlink()
    proc = run_stage(tmp_path, "fetch")
    assert proc.returncode == 0, proc.stderr
    assert "is not here; the pipeline's copy of it" in proc.stdout and (tmp_path / COPY).read_text() == kept
    (tmp_path / COPY).write_text(HEADER + ROWS)  # a copy that is not what was recorded is not kept
    assert_clean_failure(run_stage(tmp_path, "fetch"), "data/raw/twcs.csv is missing and downloading")


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
        (lambda p: p.write_bytes(b""), "is empty"),
        (lambda p: p.write_text(HEADER), "has a header but no data rows"),
        (lambda p: p.write_text("a,b\n1,2\n"), "lacks the column(s) tweet_id"),
        (lambda p: p.write_text(HEADER.replace("created_at", "text") + "1,a,True,x,y,,\n"), "text more than once"),
        (lambda p: p.write_bytes((HEADER + "1,a,True,x,caf\xe9,,\n").encode("latin-1")), "not valid UTF-8"),
        (lambda p: _zip(p, {"twcs.csv": ""}), "is empty"),
        (lambda p: _zip(p, {"twcs.csv": "a,b\n1,2\n"}), "twcs.zip!twcs.csv lacks the column(s)"),
    ],
    ids=[
        "missing",
        "directory",
        "zip-with-two",
        "zip-with-none",
        "empty",
        "header-only",
        "columns",
        "duplicate-header",
        "latin-1",
        "empty-in-zip",
        "columns-in-zip",
    ],
)
def test_a_bad_raw_path_stops_fetch_and_keeps_the_last_copy(tmp_path: Path, make, says: str) -> None:
    good = tmp_path / "good.csv"
    good.write_text(HEADER + ROWS)
    assert run_stage(tmp_path, "fetch", params=params_with({"data.raw_path": str(good)})).returncode == 0
    report = (tmp_path / REPORT).read_text()
    bad = tmp_path / "input" / "twcs.zip"
    bad.parent.mkdir()
    make(bad)
    assert_clean_failure(run_stage(tmp_path, "fetch", params=params_with({"data.raw_path": str(bad)})), says)
    assert (tmp_path / COPY).read_text() == HEADER + ROWS and (tmp_path / REPORT).read_text() == report
    assert not [p for p in (tmp_path / COPY).parent.iterdir() if p.name.endswith(".tmp")]


def test_raw_path_may_not_be_the_pipelines_own_copy(tmp_path: Path) -> None:
    proc = run_stage(tmp_path, "fetch", params=params_with({"data.raw_path": str(COPY)}))
    assert_clean_failure(proc, "the pipeline's own copy", "set data.raw_path to your twcs.csv")


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
    raw = tmp_path / COPY
    if content is not None:
        raw.parent.mkdir(parents=True)
        raw.write_bytes(content)
    assert_clean_failure(run_stage(tmp_path, "extract"), message)
    assert not (tmp_path / "data" / "interim").exists() or not any((tmp_path / "data" / "interim").iterdir())


def test_extract_accounts_for_every_record(tmp_path: Path) -> None:
    raw = tmp_path / COPY
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


def test_extract_stops_on_conflicting_duplicates_past_its_param(tmp_path: Path) -> None:
    raw = tmp_path / COPY
    raw.parent.mkdir(parents=True)
    flipped = ROWS.replace(",True,", ",Tmp,").replace(",False,", ",True,").replace(",Tmp,", ",False,")
    raw.write_text(HEADER + ROWS + flipped + ROWS.splitlines(keepends=True)[0])  # every label twice, flipped
    proc = run_stage(tmp_path, "extract")
    assert_clean_failure(proc, "20 tweet_ids (100.00% of 20) appear more than once with different content")
    assert "tweet_id 1: inbound True vs False" in proc.stderr and "extract.max_conflicting_share" in proc.stderr
    assert not (tmp_path / "data" / "interim").exists()

    raw.write_text(HEADER + ROWS + ROWS.splitlines(keepends=True)[0].replace("True", "False"))  # 1 of 20
    proc = run_stage(tmp_path, "extract", params=params_with({"extract.max_conflicting_share": 0.05}))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "data/interim/extract_report.json").read_text())
    assert report["conflicting_tweet_ids"] == 1 and report["dropped_conflicting_tweet_id"] == 2
    assert report["rows_written"] == 19 and report["conflicting_examples"] == ["tweet_id 1: inbound True vs False"]
    assert "1 tweet_ids had copies with different content" in proc.stdout


def _fake_select_inputs(root: Path) -> None:
    """compare's summary and the GRU's details, the GRU no better than chance."""

    def write(rel: str, obj: object) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(json.dumps(obj))

    write("metrics/compare.json", {"models": {"gru": {"rank": 1}}, "selected": "gru"})
    confusion = {"tp": 250, "fn": 250, "tn": 250, "fp": 250}
    write("metrics/details/gru.json", {"validation": {"n": 1000, "accuracy": 0.5, "confusion": confusion}})


def test_a_refused_selection_leaves_the_served_model_as_it_was(tmp_path: Path) -> None:
    served = tmp_path / "models" / "selected"
    served.mkdir(parents=True)
    (served / "model.json").write_text('{"kind": "logreg"}')
    (served / "model_card.json").write_text('{"model": "logreg"}')
    before = {p.name: p.read_bytes() for p in served.iterdir()}
    _fake_select_inputs(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(PARAMS, sort_keys=False))
    shutil.copy(REPO / "dvc.yaml", tmp_path / "dvc.yaml")
    env = {**os.environ, "PYTHONPATH": PYTHONPATH, "DVC_STAGE": "select"}  # as under `dvc repro`
    proc = subprocess.run(
        [sys.executable, "-m", "stages.select"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert_clean_failure(proc, "select refuses to serve gru", "no better than chance")
    assert "note: models/selected is left as it was" in proc.stderr and "dvc checkout select" not in proc.stderr
    assert {p.name: p.read_bytes() for p in served.iterdir()} == before


def test_a_compared_model_not_trained_yet_is_told_the_stage_that_trains_it(tmp_path: Path) -> None:
    """The train matrix is compare.models (``${compare.models}`` in dvc.yaml), so a model added
    there has its stage at once: the message names it (a model missing from compare.models is
    told to add it there: tests/test_layout.py)."""
    _fake_select_inputs(tmp_path)
    params = params_with({"models.foo": dict(PARAMS["models"]["logreg"]), "compare.models": ["gru", "foo"]})
    proc = run_stage(tmp_path, "compare", params=params)
    assert_clean_failure(proc, "metrics/details/foo.json is missing", "`dvc repro train@foo`")


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
        (
            "compare",
            {"select.model": "bert"},
            f"set select.model to one of: {', '.join(PARAMS['compare']['models'])}, best",
        ),
        ("select", {"models.gru.units": "sixty"}, "models.gru.units is 'sixty', not a whole number >= 1"),
        ("select", {"models.gru.epochs": 0}, "models.gru.epochs is 0, not a whole number >= 1"),
        ("fetch", {"data.raw_path": ...}, "data.raw_path is missing"),
        ("extract", {"extract.max_conflicting_share": 1.5}, "extract.max_conflicting_share is 1.5, not a number"),
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
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
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
        root / COPY,
        root / REPORT,
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
    assert (root / "data/interim/extract_report.json").read_bytes() == before[outputs[3]]


def test_dvc_repro_with_raw_path_switched_away_and_back(tmp_path: Path) -> None:
    """The issue's case under DVC: data.raw_path to another file, `dvc repro`, back to
    data/raw/twcs.csv, `dvc repro`: the pipeline reads the first file again (the user's file was
    never written), and a broken file on the way changes nothing."""
    root = copy_repo(tmp_path / "project")
    mine = root / "data" / "raw" / "twcs.csv"
    mine.parent.mkdir(parents=True)
    mine.write_text(HEADER + ROWS)
    other = tmp_path / "other.csv"
    other.write_text(HEADER + ROWS.replace("tweet number", "another tweet") + "21,cust21,True,x,extra,,\n")
    extract_report = root / "data/interim/extract_report.json"

    dvc("repro", "extract", cwd=root)
    assert json.loads(extract_report.read_text())["rows_read"] == 20
    commit_all(root, "first run")
    (root / "params.yaml").write_text(yaml.safe_dump(params_with({"data.raw_path": str(other)}), sort_keys=False))
    dvc("repro", "extract", cwd=root)
    assert json.loads(extract_report.read_text())["rows_read"] == 21 and mine.read_text() == HEADER + ROWS

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    (root / "params.yaml").write_text(yaml.safe_dump(params_with({"data.raw_path": str(empty)}), sort_keys=False))
    proc = dvc("repro", "extract", cwd=root, check=False)
    assert proc.returncode != 0 and f"raw data file {empty} is empty" in proc.stderr
    assert (root / COPY).read_text() == other.read_text()  # refused before the copy was touched

    (root / "params.yaml").write_text(yaml.safe_dump(PARAMS, sort_keys=False))
    proc = dvc("repro", "extract", cwd=root)
    # extract runs again, or DVC's run cache gives back the outputs of its run on that same input
    assert "Running stage 'extract'" in proc.stdout or "Stage 'extract' is cached" in proc.stdout, proc.stdout
    assert (root / COPY).read_text() == HEADER + ROWS
    assert json.loads(extract_report.read_text())["rows_read"] == 20
    assert "Running stage 'extract'" not in dvc("repro", "extract", cwd=root).stdout  # fetch runs, changes nothing


def test_stages_that_train_no_model_check_the_model_sections_shape_only(tmp_path: Path) -> None:
    """fetch, extract, sample, clean_tokenize and compare read params with ``models=False``: a
    model's bad param stops train and select (test above), not them, and they never import the
    model registry (so dvc.yaml need not list models/ as their dependency)."""
    from twcs_classifier.params import validate_params

    bad = params_with({"models.gru.units": "sixty"})
    assert validate_params(bad, models=False).models["gru"]["units"] == "sixty"
    with pytest.raises(PipelineError, match="models.gru.units is 'sixty'"):
        validate_params(bad)
    with pytest.raises(PipelineError, match="models.gru is 3, not a section"):
        validate_params(params_with({"models.gru": 3}), models=False)
    code = (
        "import sys\nfrom twcs_classifier.params import load_params\nload_params(models=False)\n"
        "print(sorted(m for m in sys.modules if m.startswith('twcs_classifier.models')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": PYTHONPATH},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
