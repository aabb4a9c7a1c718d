"""Shared fixtures: tiny in-memory frames, and one real `dvc repro` on the shared sample.

The real run happens once per test session in a temporary copy of the repository,
with small sizes and few epochs, and every test that needs trained models uses it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
REAL_SAMPLE = Path(os.environ.get("TWCS_REAL_SAMPLE", REPO.parent / "shared" / "data" / "twcs_real_sample.csv"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())
MODELS: tuple[str, ...] = tuple(PARAMS["compare"]["models"])
"""The pipeline's models (params.yaml's compare.models)."""
EPOCH_MODELS: tuple[str, ...] = tuple(name for name in MODELS if "epochs" in PARAMS["models"][name])
"""The models trained in epochs, which log their training curves."""

SERVED = PARAMS["select"]["model"]
"""The model select.model names (the GRU by default)."""

# What the end-to-end run changes in params.yaml: the real sample as raw data, the split
# sizes of the acceptance run (the test split is filled first, so the defaults, made for the
# full twcs.csv, would leave train below the floor on the sample), and fewer epochs for the
# recurrent models that are not served, so the whole pipeline runs in a few minutes on two
# cores. The served model trains with its default params, as a user's would.
E2E_OVERRIDES = {
    "data": {"raw_path": str(REAL_SAMPLE)},
    "sample": {"n_train": 9000, "n_test": 2400},
    "models": {name: {"epochs": 4} for name in EPOCH_MODELS if name != SERVED},
}


def write_json(path: Path, obj: object) -> None:
    """Write ``obj`` as JSON at ``path``, making its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))


def real_sample_path() -> Path:
    """The shared real sample; missing it fails in CI and skips elsewhere."""
    if REAL_SAMPLE.exists():
        return REAL_SAMPLE
    message = f"the real sample {REAL_SAMPLE} is missing (it lives in ../shared beside the repo)"
    if IN_CI:
        pytest.fail(message + ": CI must have it")
    pytest.skip(message)


def _merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def copy_repo(target: Path) -> Path:
    """Copy the files git tracks (plus untracked, not ignored ones) into ``target`` and
    make it a git repository, as a user's fresh clone would be."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for rel in filter(None, files):
        src = REPO / rel
        if not src.is_file():
            continue
        dst = target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    for rel in ("dvc.lock", "metrics", "plots", "models/selected"):
        path = target / rel
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    git(target, "init", "-q")
    commit_all(target, "copy")
    return target


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run git in ``root`` as a test user."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    return subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True, text=True)


def commit_all(root: Path, message: str) -> None:
    """Commit everything git does not ignore (DVC's outputs are ignored, its lock file and the
    metrics and plots in git are not), as a user commits a run."""
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


IMPORT_PROBE = Path(__file__).resolve().parent / "import_probe"
"""A folder with a sitecustomize.py that makes each stage record the project modules it imported."""


def stage_imports_dir(project: Path) -> Path:
    """Where the built project's first `dvc repro` recorded each stage's imported modules."""
    return project.with_name(f"{project.name}_imports")


def dvc(
    *args: str, cwd: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the venv's dvc in ``cwd`` (with ``env`` added to the environment)."""
    exe = Path(sys.executable).with_name("dvc")
    env = {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **(env or {}),
    }
    proc = subprocess.run([str(exe), *args], cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"dvc {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary copy of the repo after a real `dvc repro` on the shared sample, committed."""
    real_sample_path()
    root = copy_repo(tmp_path_factory.mktemp("project"))
    params = yaml.safe_load((root / "params.yaml").read_text())
    (root / "params.yaml").write_text(yaml.safe_dump(_merge(params, E2E_OVERRIDES), sort_keys=False))
    imports = stage_imports_dir(root)
    imports.mkdir()
    python_path = os.pathsep.join(filter(None, [str(IMPORT_PROBE), os.environ.get("PYTHONPATH")]))
    proc = dvc("repro", cwd=root, env={"PYTHONPATH": python_path, "TWCS_IMPORT_LOG": str(imports)})
    (root / "repro.log").write_text(proc.stdout + proc.stderr)
    commit_all(root, "the pipeline on the real sample")  # the baseline of dvc metrics diff and dvc exp
    return root
