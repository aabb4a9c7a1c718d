"""Where the pipeline's files live: one catalog of paths for the stages that write them and
for serving, the CLI and the app that read them.

:data:`CATALOG` names every path a stage writes, grouped by that stage, as a template
relative to the project root (``{split}``, ``{model}`` and ``{plot}`` are filled in);
``tests/test_layout.py`` checks each against the stage's outs in dvc.yaml. Code asks a
:class:`Layout` for a path and never spells one out. The list of models is not here: it
is ``compare.models`` in params.yaml, which the train stage's matrix in dvc.yaml takes
(``model: ${compare.models}``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

PROJECT_ENV = "TWCS_PROJECT_DIR"
"""Environment variable naming the project directory (see :meth:`Layout.find`)."""

DVC_STAGE_ENV = "DVC_STAGE"
"""Set by DVC for a stage's command (the stage's name); DVC runs it in the project's root."""

MODEL_ENV = "TWCS_MODEL_DIR"
"""Environment variable naming the saved model the CLI serves by default (see :meth:`Layout.served_model`)."""

PARAMS_FILE = "params.yaml"
"""Every knob of the pipeline; ``compare.models`` lists the models."""

SELECTED = "selected"
"""The directory name, under ``models/``, of the model the select stage installed."""

MODEL_CARD = "model_card.json"
"""The card the select stage writes inside ``models/selected``: which model, why, its metrics."""

MODEL_META = "model.json"
"""Every saved model directory holds this file: which kind of model it is and its params."""

ROC = "roc"
PRECISION_RECALL = "precision_recall"
CONFUSION = "confusion"
"""Names of the plots of the random test split (files ``plots/<model>/<plot>.json``)."""


def reliability_plot(condition: str) -> str:
    """The name of the reliability diagram of one test condition (a metrics key)."""
    return f"reliability_{condition}"


USER_RAW_DATA = "data/raw/twcs.csv"
"""Where ``make data`` (``fetch-data``) puts twcs.csv, and ``data.raw_path``'s value in the
repository: the user's own file. No stage ever writes it; the fetch stage copies it (or the
file ``data.raw_path`` names) to the pipeline's copy, ``raw_data``."""

CATALOG: dict[str, dict[str, str]] = {
    "fetch": {
        "raw_data": "data/fetched/twcs.csv",
        "fetch_report": "data/fetched/fetch_report.json",
    },
    "extract": {
        "tweets": "data/interim/tweets.parquet",
        "extract_report": "data/interim/extract_report.json",
    },
    "sample": {
        "split": "data/splits/{split}.parquet",
        "sample_report": "data/splits/sample_report.json",
    },
    "clean_tokenize": {
        "processed": "data/processed/{split}.parquet",
        "pieces": "data/processed/pieces.parquet",
        "tokenizer": "data/processed/tokenizer.json",
    },
    "train": {
        "model": "models/{model}",
        "metrics": "metrics/{model}.json",
        "metrics_details": "metrics/details/{model}.json",
        "timing": "reports/timing_{model}.json",
        "plot": "plots/{model}/{plot}.json",
        "training_log": "plots/{model}/training",
        "errors": "reports/errors_{model}.csv",
        "predictions": "reports/predictions/{model}.parquet",
    },
    "compare": {
        "compare_summary": "metrics/compare.json",
        "compare_table": "metrics/compare.md",
    },
    "select": {
        "selected": f"models/{SELECTED}",
        "model_card": f"models/{SELECTED}/{MODEL_CARD}",
    },
}
"""Path templates by the stage that writes them, then by entry name."""

TEMPLATES: dict[str, str] = {entry: template for paths in CATALOG.values() for entry, template in paths.items()}
"""Every entry of :data:`CATALOG` by name."""


@dataclass(frozen=True)
class Layout:
    """The paths of one project: relative to the working directory by default (the stages
    run from the repository root), or under ``root``."""

    root: Path = Path()

    @classmethod
    def find(cls, default: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Layout:
        """The project, found the one way the stages, the CLI, the app and the benchmarks use:
        the working directory when DVC runs a stage (``$DVC_STAGE`` is set: DVC runs it in the
        project's root, a temporary copy for ``dvc exp run --temp``, whatever else is set; its
        ``$DVC_ROOT`` may name the repository the experiment was started from); else
        ``$TWCS_PROJECT_DIR`` if set and not blank; else ``default`` (the app passes its own
        folder); else the working directory. The working directory is kept relative
        (``Path()``), so the paths in messages read as the user types them."""
        env = os.environ if environ is None else environ
        chosen = (env.get(PROJECT_ENV) or "").strip()
        if env.get(DVC_STAGE_ENV):
            root = Path()
        elif chosen:
            root = Path(chosen).expanduser()
        else:
            root = Path(default if default is not None else ".")
        root = root.resolve()
        return cls(Path() if root == Path.cwd().resolve() else root)

    def served_model(self, environ: Mapping[str, str] | None = None) -> Path:
        """The saved model served by default: ``$TWCS_MODEL_DIR`` if set and not blank (a model
        anywhere), else this project's ``models/selected``."""
        env = os.environ if environ is None else environ
        chosen = (env.get(MODEL_ENV) or "").strip()
        return Path(chosen).expanduser() if chosen else self.selected

    def path(self, entry: str, **fields: str) -> Path:
        """The path of catalog ``entry`` with its ``{split}``/``{model}``/``{plot}`` filled in."""
        return self.root / TEMPLATES[entry].format(**fields)

    def _folder(self, entry: str) -> Path:
        return self.root / Path(TEMPLATES[entry]).parent

    # -- fetch, extract, sample, clean_tokenize ----------------------------------------------
    @property
    def user_raw_data(self) -> Path:
        """:data:`USER_RAW_DATA`: where ``fetch-data`` puts twcs.csv; the user's file, never
        written by a stage."""
        return self.root / USER_RAW_DATA

    @property
    def raw_data(self) -> Path:
        """The pipeline's copy of twcs.csv (of the file ``data.raw_path`` names), a DVC-tracked
        output that only the fetch stage writes."""
        return self.path("raw_data")

    @property
    def fetch_report(self) -> Path:
        """Which file the pipeline's copy of twcs.csv was taken from, and the sha256 of both (JSON)."""
        return self.path("fetch_report")

    @property
    def tweets(self) -> Path:
        """Every valid tweet of twcs.csv, with its conversation and company (Parquet)."""
        return self.path("tweets")

    @property
    def extract_report(self) -> Path:
        """The counts of the extract stage (JSON)."""
        return self.path("extract_report")

    def split_file(self, split: str) -> Path:
        """One split of raw tweets with labels (Parquet)."""
        return self.path("split", split=split)

    @property
    def sample_report(self) -> Path:
        """Requested and actual split sizes, warnings and leak checks (JSON)."""
        return self.path("sample_report")

    def processed_file(self, split: str) -> Path:
        """One split with its normalised text and token ids (Parquet)."""
        return self.path("processed", split=split)

    @property
    def pieces(self) -> Path:
        """Every distinct token of the processed splits with its n-gram and word ids (Parquet)."""
        return self.path("pieces")

    @property
    def tokenizer(self) -> Path:
        """The vocabulary learnt from the training split and the n-gram settings (JSON)."""
        return self.path("tokenizer")

    # -- train@<model> -------------------------------------------------------------------------
    def model_dir(self, model: str) -> Path:
        """A saved model: one of the trained models, or :data:`SELECTED`."""
        return self.path("model", model=model)

    def model_meta(self, model: str) -> Path:
        """A saved model's kind and params (its seed and fitted temperature included)."""
        return self.model_dir(model) / MODEL_META

    def metrics_file(self, model: str) -> Path:
        """A model's headline metrics, numbers only: what ``dvc metrics show`` and ``dvc exp show``
        print (JSON; :func:`twcs_classifier.evaluation.headline_metrics` of the details)."""
        return self.path("metrics", model=model)

    def details_file(self, model: str) -> Path:
        """Every number scoring a model gave: each metric of the validation split and every test
        condition (per class, confusion counts), its temperature, epochs and training-split size
        (JSON). Compare, select and the app read it; DVC does not show it as metrics."""
        return self.path("metrics_details", model=model)

    def timing_file(self, model: str) -> Path:
        """Seconds a model took to train and to predict each set (JSON): they change on every
        run, so no stage depends on them and DVC caches them out of git."""
        return self.path("timing", model=model)

    def plot_file(self, model: str, plot: str) -> Path:
        """The rows of one of a model's plots (JSON)."""
        return self.path("plot", model=model, plot=plot)

    def training_log(self, model: str) -> Path:
        """Where dvclive logs a model's training curves (a directory)."""
        return self.path("training_log", model=model)

    def errors_file(self, model: str) -> Path:
        """A model's most confident mistakes per test condition (CSV)."""
        return self.path("errors", model=model)

    def predictions_file(self, model: str) -> Path:
        """A model's inbound probability for every tweet of every scored set, with its label
        and tweet id (Parquet): what compare's paired tests read."""
        return self.path("predictions", model=model)

    # -- compare, select -----------------------------------------------------------------------
    @property
    def compare_summary(self) -> Path:
        """The ranking, the paired verdicts and every paired test of the compare stage (JSON)."""
        return self.path("compare_summary")

    @property
    def compare_table(self) -> Path:
        """The compare stage's table and verdicts (Markdown)."""
        return self.path("compare_table")

    @property
    def selected(self) -> Path:
        """``models/selected``: the model that serving loads by default."""
        return self.path("selected")

    @property
    def model_card(self) -> Path:
        """The selected model's card (JSON)."""
        return self.path("model_card")

    # -- folders and params -----------------------------------------------------------------------
    @property
    def models(self) -> Path:
        """The folder of the saved models (one directory per model, and ``selected``)."""
        return self._folder("model")

    @property
    def metrics(self) -> Path:
        """The folder of the metrics files (``<model>.json``, ``details/`` and the compare summary)."""
        return self._folder("metrics")

    @property
    def plots(self) -> Path:
        """The folder of the plot folders (one per model)."""
        return self._folder("plot").parent

    @property
    def params_file(self) -> Path:
        """``params.yaml``."""
        return self.root / PARAMS_FILE


# -- which stage writes a path, and how to get it back -----------------------------------------------
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


__all__ = [
    "CATALOG",
    "DVC_FILE",
    "CONFUSION",
    "MODEL_CARD",
    "MODEL_META",
    "PARAMS_FILE",
    "PRECISION_RECALL",
    "PROJECT_ENV",
    "DVC_STAGE_ENV",
    "MODEL_ENV",
    "ROC",
    "SELECTED",
    "StageOutput",
    "TEMPLATES",
    "USER_RAW_DATA",
    "Layout",
    "configured_models",
    "pipeline_outputs",
    "project_of",
    "reliability_plot",
    "restore_hint",
    "stage_failure_note",
]
