"""The pipeline as dvc.yaml declares it, its matrices filled in from params.yaml as DVC does:
every stage's outputs (which stage writes a path, whether DVC caches it), the models the train
matrix runs, and how to get an output back (``dvc checkout``, ``git checkout`` or ``dvc repro``,
naming only stages dvc.yaml has). The paths themselves are :mod:`twcs_classifier.layout`'s catalog.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .layout import PARAMS_FILE

__all__ = [
    "DVC_FILE",
    "StageOutput",
    "configured_models",
    "pipeline_outputs",
    "project_of",
    "restore_hint",
    "stage_failure_note",
]

DVC_FILE = "dvc.yaml"
_ITEM = re.compile(r"\$\{item\.(\w+)\}")


@dataclass(frozen=True)
class StageOutput:
    """One output dvc.yaml declares: the address of the stage that writes it (``train@gru``),
    its path relative to the project, whether DVC caches it (``cache: false`` outputs, the
    metrics and plots, are kept in git) and whether it is ``persist``ent (DVC does not remove
    it before the stage runs)."""

    stage: str
    path: PurePosixPath
    cached: bool = True
    persist: bool = False


def _entries(stage: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for entry in [*stage.get("outs", []), *stage.get("metrics", []), *stage.get("plots", [])]:
        if isinstance(entry, Mapping):
            path, options = next(iter(entry.items()))
            out.append((str(path), dict(options or {})))
        else:
            out.append((str(entry), {}))
    return out


def _read_stages(root: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load((root / DVC_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return {}
    stages = data.get("stages") if isinstance(data, dict) else None
    return stages if isinstance(stages, dict) else {}


_PARAM_REF = re.compile(r"\$\{\s*([\w.]+)\s*\}")
"""A whole value of dvc.yaml taken from params.yaml by DVC's templating (``${compare.models}``)."""


def _param(root: Path, key: str) -> Any:
    """The value of ``key`` (dotted) in ``root``'s params.yaml, or ``None``."""
    try:
        node: Any = yaml.safe_load((root / PARAMS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return None
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def configured_models(root: str | Path = ".") -> list[str]:
    """The project's models: ``compare.models`` in ``root``'s params.yaml, the one list the
    train matrix, compare, select, the CLI's help and the app take (none if unreadable)."""
    models = _param(Path(root), "compare.models")
    return [str(name) for name in models] if isinstance(models, list) else []


def _param_ref(values: Any) -> str | None:
    """The params.yaml key a matrix's values name (``${compare.models}``), or ``None``."""
    match = _PARAM_REF.fullmatch(values.strip()) if isinstance(values, str) else None
    return match.group(1) if match else None


def _matrix_values(root: Path, values: Any) -> list[Any]:
    """A matrix key's values: a list, or ``${key}`` naming a list in params.yaml (as DVC fills it in)."""
    key = _param_ref(values)
    if key:
        values = _param(root, key)
    return list(values) if isinstance(values, list) else []


def _matrix_source(stage: Mapping[str, Any], key: str) -> str:
    """Where the values of matrix ``key`` of ``stage`` are written: a params.yaml key, or dvc.yaml."""
    ref = _param_ref((stage.get("matrix") or {}).get(key))
    return f"{ref} in {PARAMS_FILE}" if ref else f"the matrix's {key} list in {DVC_FILE}"


def pipeline_outputs(root: str | Path = ".") -> list[StageOutput]:
    """Every output (``outs``, ``metrics``, ``plots``) of every stage in ``root``'s dvc.yaml,
    matrices expanded (``train@gru``, the values taken from params.yaml where dvc.yaml says
    ``${...}``); none when there is no readable dvc.yaml."""
    out = []
    for name, stage in _read_stages(Path(root)).items():
        matrix = stage.get("matrix") or {}
        items = (
            [{key: value} for key, values in matrix.items() for value in _matrix_values(Path(root), values)]
            if len(matrix) == 1
            else [{}]
        )
        for item in items:
            address = f"{name}@{next(iter(item.values()))}" if item else name
            for path, options in _entries(stage):
                path = _ITEM.sub(lambda m, i=item: str(i.get(m.group(1), m.group(0))), path)
                out.append(
                    StageOutput(
                        address, PurePosixPath(path), bool(options.get("cache", True)), bool(options.get("persist"))
                    )
                )
    return out


def project_of(path: str | Path) -> Path | None:
    """The project (the nearest folder holding dvc.yaml) that ``path`` lies in, or ``None``."""
    path = Path(path).absolute()
    return next((folder for folder in (path, *path.parents) if (folder / DVC_FILE).is_file()), None)


def _within(path: PurePosixPath, out: PurePosixPath) -> bool:
    return path == out or out in path.parents


def _missing_matrix_item(root: Path, rel: PurePosixPath) -> str | None:
    """When ``rel`` would be written by a matrix stage for an item its matrix lacks (a model
    under ``models:`` that dvc.yaml's train matrix does not list): what to add."""
    for name, stage in _read_stages(root).items():
        for path, _ in _entries(stage):
            keys = _ITEM.findall(path)
            if not keys:
                continue
            pattern = re.escape(path)
            for key in dict.fromkeys(keys):
                pattern = pattern.replace(re.escape(f"${{item.{key}}}"), rf"(?P<{key}>[^/]+)", 1)
                pattern = pattern.replace(re.escape(f"${{item.{key}}}"), rf"(?P={key})")
            match = re.fullmatch(pattern + r"(/.*)?", str(rel))
            if match:
                key, value = keys[0], match.group(keys[0])
                return (
                    f"{rel} is written by the stage {name}@{value}, which {DVC_FILE} does not have: add {value} to "
                    f"{_matrix_source(stage, key)} (and where {DVC_FILE} lists every {key} one by one: select's "
                    f"deps and the plots), then run `dvc repro`"
                )
    return None


def restore_hint(path: str | Path) -> str:
    """How to get ``path``, an output of the pipeline, back, naming only commands that work:
    ``dvc checkout <stage>`` for what DVC caches, ``git checkout -- <path>`` for what is kept in
    git (``cache: false``: the metrics and plots), and ``dvc repro <stage>`` to rebuild it, with a
    stage that dvc.yaml has. For a path the matrix of a stage would write for an item it lacks
    (``train@foo``), what to add to dvc.yaml; for a path outside any project, that it must be
    made again. Paths are named relative to the project, never as the server's absolute path."""
    root = project_of(path)
    if root is None:
        return (
            f"{path} lies outside any DVC project (no {DVC_FILE} above it), so no stage writes it again: "
            "save it there again, or use one the pipeline built"
        )
    rel = PurePosixPath(Path(path).absolute().relative_to(root).as_posix())
    hit = next((o for o in pipeline_outputs(root) if _within(rel, o.path)), None)
    if hit is None:
        missing = _missing_matrix_item(root, rel)
        return missing or f"{rel} is not an output of the pipeline in {DVC_FILE}: save or build it again"
    restore = (
        f"restore it with `dvc checkout {hit.stage}` (the last good run, from DVC's cache)"
        if hit.cached
        else f"restore it with `git checkout -- {hit.path}` (the version last committed to git)"
    )
    return f"{restore}, or rebuild it with `dvc repro {hit.stage}`"


def stage_failure_note(stage: str, root: str | Path = ".") -> str | None:
    """After stage ``stage`` failed under DVC: what became of its outputs and the commands that
    bring back those DVC removed before running it (``None`` when dvc.yaml does not list it)."""
    outs = [o for o in pipeline_outputs(root) if o.stage == stage]
    if not outs:
        return None
    removed_cached = [str(o.path) for o in outs if o.cached and not o.persist]
    removed_in_git = [str(o.path) for o in outs if not o.cached and not o.persist]
    kept = [str(o.path) for o in outs if o.persist]
    parts = []
    if removed_cached or removed_in_git:
        parts.append(f"DVC removed {stage}'s outputs before running it")
    if removed_cached:
        parts.append(
            f"`dvc checkout {stage}` puts back {', '.join(removed_cached)} (its last good run, from DVC's cache)"
        )
    if removed_in_git:
        parts.append(
            f"`git checkout -- {' '.join(removed_in_git)}` puts back {', '.join(removed_in_git)} "
            "(kept in git, not in DVC's cache: the versions last committed)"
        )
    if kept:
        left = "is left as it was" if len(kept) == 1 else "are left as they were"
        parts.append(f"{', '.join(kept)} {left} (persistent: written only when {stage} succeeds)")
    return "; ".join(parts)
