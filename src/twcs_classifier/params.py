"""The one schema of ``params.yaml``, read by every stage and the CLI.

:func:`load_params` reads the file and validates all of it (pydantic, strict): an unknown
or misspelt key, a value of the wrong type (``seed: 42.9``, ``units: sixty``) or out of
range, and keys that contradict each other (a ``select.model`` that is not compared,
splits below the floor) stop with one :class:`~twcs_classifier.errors.PipelineError` that
names each key and the values it allows.

The params of ``models.<name>`` are not listed here: each model class declares them in
its ``defaults`` (the type comes from the default value) and, next to them, optional
``constraints`` (``choices`` or bounds such as ``ge``); :func:`params_schema` builds the
schema from those, so a param added to a model's ``defaults`` is validated as it is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from .errors import PipelineError
from .layout import PARAMS_FILE
from .schema import (
    STRICT,
    allowed_values,
    describe_error,
    ngram_range_problems,
    params_error,
    params_schema,
    validate_section,
)
from .split_sizes import SampleSizes

SELECT_BEST = "best"
"""``select.model: best`` serves the first compared model (compare.models order, simplest first) that no
other model is significantly better than on the validation split (paired tests, :mod:`twcs_classifier.paired`)."""

RANK_BY: tuple[str, ...] = ("f1_macro", "accuracy", "precision_macro", "recall_macro", "roc_auc", "average_precision")
"""The test metrics ``compare.rank_by`` may name: those where higher is better."""


class _Section(BaseModel):
    model_config = STRICT


class BaseParams(_Section):
    """``base``: what every stage shares."""

    seed: int = Field(ge=0, le=2**32 - 2)


class DataParams(_Section):
    """``data``: where twcs.csv comes from."""

    raw_path: str = Field(min_length=1)


DEFAULT_MAX_CONFLICTING_SHARE = 0.001
"""``extract.max_conflicting_share`` when params.yaml does not set it."""


class ExtractParams(_Section):
    """``extract``: how much conflicting input is tolerated."""

    max_conflicting_share: float = Field(DEFAULT_MAX_CONFLICTING_SHARE, ge=0.0, le=1.0)
    """The largest share of tweet_ids that may appear more than once with different content
    (every copy of such a tweet is dropped and counted); more stops the extract stage."""


class SampleParams(_Section):
    """``sample``: the sizes of the splits and the brands held out."""

    n_train: int = Field(ge=2)
    n_test: int = Field(ge=2)
    val_fraction: float = Field(gt=0.0, lt=1.0)
    holdout_brand_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    holdout_brands: list[str] = Field(default_factory=list)
    min_split: int = Field(300, ge=2)


class CleanTokenizeParams(_Section):
    """``clean_tokenize``: the vocabulary, the sequence length, masking and the character
    n-grams every Keras model's ids are made of."""

    max_tokens: int = Field(ge=3)
    sequence_length: int = Field(ge=1, le=10_000)
    mask: bool = False
    char_ngram_min: int = Field(2, ge=1)
    char_ngram_max: int = Field(5, ge=0)
    ngram_buckets: int = Field(2**18, ge=1, le=2**31 - 2)


class CompareParams(_Section):
    """``compare``: which models are compared, by what, and the significance level of the
    paired tests (:mod:`twcs_classifier.paired`)."""

    models: list[str] = Field(min_length=1)
    rank_by: Literal[RANK_BY] = "f1_macro"  # type: ignore[valid-type]
    alpha: float = Field(0.05, gt=0.0, le=0.2)


class SelectParams(_Section):
    """``select``: the model that is served."""

    model: str = Field(min_length=1)


class Params(_Section):
    """All of ``params.yaml``; ``models`` holds each model's params, validated by its class
    and completed with its defaults (``kind`` included)."""

    base: BaseParams
    data: DataParams
    extract: ExtractParams = ExtractParams()
    sample: SampleParams
    clean_tokenize: CleanTokenizeParams
    models: dict[str, dict[str, Any]]
    compare: CompareParams
    select: SelectParams

    def model(self, name: str) -> dict[str, Any]:
        """The params of ``models.<name>``."""
        if name not in self.models:
            raise PipelineError(
                f"params.yaml has no section models.{name}",
                f"use one of the models it defines: {', '.join(self.models)}",
            )
        return dict(self.models[name])


# -- reading -----------------------------------------------------------------------------------------
def read_params_file(path: str | os.PathLike[str] = PARAMS_FILE) -> dict[str, Any]:
    """``params.yaml`` as plain data, not validated (the app reads the model order from it)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(
            f"{path} not found", "run the command from the repository root, where params.yaml lives"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise PipelineError(f"{path} cannot be read ({err})", "check that it is a readable UTF-8 text file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise PipelineError(
            f"{path} is not valid YAML ({' '.join(str(err).split())})", "fix the line it names (indentation, colons)"
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PipelineError(f"{path} holds a {type(data).__name__}, not a mapping of sections", "see the README")
    return data


def load_params(path: str | os.PathLike[str] = PARAMS_FILE, *, models: bool = True) -> Params:
    """Read and validate ``params.yaml``; any problem is one :class:`PipelineError` naming
    every bad key and the values it allows. ``models=False`` (the stages that train no model)
    checks each ``models.<name>`` section's shape only, not its params against its class, so
    such a stage never imports the model registry and its code deps in dvc.yaml stay its own."""
    return validate_params(read_params_file(path), source=str(path), models=models)


def validate_params(data: Mapping[str, Any], source: str = PARAMS_FILE, *, models: bool = True) -> Params:
    """Validate params given as plain data (see :func:`load_params`)."""
    problems: list[tuple[str, str]] = []
    try:
        params = Params.model_validate({**data, "models": {}})
    except ValidationError as err:
        problems += [describe_error(e, Params) for e in err.errors() if e["loc"][:1] != ("models",)]
        params = None
    check = _validate_models if models else _model_sections
    models_, model_problems = check(data.get("models"))
    problems += model_problems
    if params is not None and not model_problems:
        params = params.model_copy(update={"models": models_})
        problems += _cross_checks(params)
    if problems:
        raise params_error(source, problems)
    assert params is not None
    return params


def _model_sections(section: Any) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """``models`` as a mapping of sections, unchecked against the model classes."""
    if not isinstance(section, Mapping) or not section:
        return {}, [("models is missing or empty", "add a models section with one entry per model (see the README)")]
    out: dict[str, dict[str, Any]] = {}
    problems: list[tuple[str, str]] = []
    for name, values in section.items():
        key = f"models.{name}"
        if not isinstance(values, Mapping):
            problems.append((f"{key} is {values!r}, not a section", f"give {key} its params, starting with kind"))
        else:
            out[str(name)] = dict(values)
    return out, problems


def _validate_models(section: Any) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    from .models import known_kinds, model_class

    sections, problems = _model_sections(section)
    out: dict[str, dict[str, Any]] = {}
    for name, values in sections.items():
        key = f"models.{name}"
        kind = values.get("kind")
        if kind not in known_kinds():
            problems.append(
                (f"{key}.kind is {kind!r}", f"set {key}.kind to one of: {', '.join(sorted(known_kinds()))}")
            )
            continue
        cls = model_class(kind)
        validated, errs = validate_section(cls.param_schema(), dict(values), prefix=key)
        problems += errs + (cls.param_problems(validated, key) if validated is not None else [])
        if validated is not None and not errs:
            out[str(name)] = validated
    return out, problems


def _cross_checks(params: Params) -> list[tuple[str, str]]:
    """What single keys cannot say: names that must exist, and split sizes above the floor."""
    problems = []
    missing = [m for m in params.compare.models if m not in params.models]
    if missing:
        problems.append(
            (
                f"compare.models names {', '.join(missing)}, which models does not define",
                f"list only models defined under models: {', '.join(params.models)}",
            )
        )
    if len(set(params.compare.models)) != len(params.compare.models):
        problems.append(("compare.models names a model twice", "list each model once"))
    allowed = [*params.compare.models, SELECT_BEST]
    if params.select.model not in allowed:
        problems.append(
            (f"select.model is {params.select.model!r}", f"set select.model to one of: {', '.join(allowed)}")
        )
    ct = params.clean_tokenize
    problems += ngram_range_problems("clean_tokenize", ct.char_ngram_min, ct.char_ngram_max, can_turn_off=True)
    s = params.sample
    sizes = SampleSizes.from_params(s.n_train, s.n_test, s.val_fraction)
    for split, n, keys in (
        ("test", sizes.test, "sample.n_test"),
        ("validation", sizes.val, "sample.n_train or sample.val_fraction"),
        ("train", sizes.train, "sample.n_train or lower sample.val_fraction"),
    ):
        if n < s.min_split:
            problems.append(
                (
                    f"the {split} split would hold {n} tweets, below the floor sample.min_split = {s.min_split}",
                    f"raise {keys}, or lower sample.min_split (smaller splits give meaningless metrics)",
                )
            )
    return problems


__all__ = [
    "DEFAULT_MAX_CONFLICTING_SHARE",
    "RANK_BY",
    "SELECT_BEST",
    "Params",
    "allowed_values",
    "load_params",
    "params_error",
    "params_schema",
    "read_params_file",
    "validate_params",
    "validate_section",
]
