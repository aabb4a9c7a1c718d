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

import difflib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .errors import PipelineError
from .layout import PARAMS_FILE

SELECT_BEST = "best"
"""``select.model: best`` serves the compared model with the best validation macro-F1."""

RANK_BY: tuple[str, ...] = ("f1_macro", "accuracy", "precision_macro", "recall_macro", "roc_auc", "average_precision")
"""The test metrics ``compare.rank_by`` may name: those where higher is better."""

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Section(BaseModel):
    model_config = _STRICT


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
    """``clean_tokenize``: the vocabulary and the sequence length."""

    max_tokens: int = Field(ge=3)
    sequence_length: int = Field(ge=1, le=10_000)
    mask: bool = False


class CompareParams(_Section):
    """``compare``: which models are compared and by what."""

    models: list[str] = Field(min_length=1)
    rank_by: Literal[RANK_BY] = "f1_macro"  # type: ignore[valid-type]


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


def load_params(path: str | os.PathLike[str] = PARAMS_FILE) -> Params:
    """Read and validate ``params.yaml``; any problem is one :class:`PipelineError` naming
    every bad key and the values it allows."""
    return validate_params(read_params_file(path), source=str(path))


def validate_params(data: Mapping[str, Any], source: str = PARAMS_FILE) -> Params:
    """Validate params given as plain data (see :func:`load_params`)."""
    problems: list[tuple[str, str]] = []
    try:
        params = Params.model_validate({**data, "models": {}})
    except ValidationError as err:
        problems += [_describe(e, Params) for e in err.errors() if e["loc"][:1] != ("models",)]
        params = None
    models, model_problems = _validate_models(data.get("models"))
    problems += model_problems
    if params is not None and not model_problems:
        params = params.model_copy(update={"models": models})
        problems += _cross_checks(params)
    if problems:
        raise params_error(source, problems)
    assert params is not None
    return params


def _validate_models(section: Any) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    from .models import known_kinds, model_class

    if not isinstance(section, Mapping) or not section:
        return {}, [("models is missing or empty", "add a models section with one entry per model (see the README)")]
    out: dict[str, dict[str, Any]] = {}
    problems: list[tuple[str, str]] = []
    for name, values in section.items():
        key = f"models.{name}"
        if not isinstance(values, Mapping):
            problems.append((f"{key} is {values!r}, not a section", f"give {key} its params, starting with kind"))
            continue
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
    from .sampling import SampleSizes

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


# -- the schema of a model's params, from its defaults ----------------------------------------------
def _type_of(default: Any) -> Any:
    if isinstance(default, bool):
        return bool
    if isinstance(default, int):
        return int
    if isinstance(default, float):
        return float
    if isinstance(default, str):
        return str
    if isinstance(default, list | tuple):
        inner = {_type_of(v) for v in default}
        return list[inner.pop()] if len(inner) == 1 else list[Any]
    return Any


def params_schema(
    name: str, defaults: Mapping[str, Any], constraints: Mapping[str, Mapping[str, Any]] | None = None
) -> type[BaseModel]:
    """A strict pydantic model of a params section: one field per entry of ``defaults``,
    typed by its default value (a ``float`` param also takes a whole number), with that
    default and the entry's ``constraints`` (``choices``: the allowed values; or pydantic
    ``Field`` bounds such as ``ge``, ``gt``, ``le``, ``lt``). Unknown keys are refused."""
    rules = constraints or {}
    unknown = sorted(set(rules) - set(defaults))
    if unknown:
        raise TypeError(f"{name}: constraints for params without a default: {', '.join(unknown)}")
    fields: dict[str, Any] = {}
    for key, default in defaults.items():
        rule = dict(rules.get(key, {}))
        choices = rule.pop("choices", None)
        annotation = Literal[tuple(choices)] if choices is not None else _type_of(default)
        fields[key] = (annotation, Field(default, **rule))
    return create_model(name, __config__=_STRICT, **fields)


def validate_section(
    schema: type[BaseModel], values: Mapping[str, Any], prefix: str
) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """Validate ``values`` against ``schema``: the values with every default filled in, or
    ``None`` and a (problem, fix) pair per bad key, keys named ``<prefix>.<key>``."""
    try:
        return schema.model_validate(dict(values)).model_dump(), []
    except ValidationError as err:
        return None, [_describe(e, schema, prefix) for e in err.errors()]


# -- messages ------------------------------------------------------------------------------------------
def _field_at(schema: Any, loc: Sequence[Any]) -> tuple[FieldInfo | None, Any]:
    """The field at ``loc`` and the model holding it (``None`` where ``loc`` leaves the schema)."""
    holder = schema
    field = None
    for part in loc:
        fields = getattr(holder, "model_fields", None)
        if not fields or part not in fields:
            return None, holder
        field = fields[part]
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            holder = field.annotation
    return field, holder


def allowed_values(field: FieldInfo) -> str:
    """What a field takes, in words: its type, bounds and default."""
    annotation = field.annotation
    if get_origin(annotation) is Literal:
        text = "one of: " + ", ".join(str(v) for v in get_args(annotation))
    else:
        names = {bool: "true or false", int: "a whole number", float: "a number", str: "a text"}
        text = names.get(annotation, "a list (e.g. [a, b])" if get_origin(annotation) is list else "a value")
        bounds = []
        for meta in field.metadata:  # annotated-types constraints: Ge(ge=1), MinLen(min_length=1), ...
            for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                if getattr(meta, attr, None) is not None:
                    bounds.append(f"{sign} {getattr(meta, attr)}")
            if getattr(meta, "min_length", None):
                bounds.append("not empty")
        if bounds:
            text += " " + " and ".join(bounds)
    if field.default is not PydanticUndefined:
        text += f" (default {_yaml_value(field.default)})"
    return text


def _yaml_value(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def _describe(err: Mapping[str, Any], schema: Any, prefix: str = "") -> tuple[str, str]:
    """One pydantic error as (problem, fix), naming the key and what it allows."""
    loc = tuple(err["loc"])
    key = ".".join([prefix, *map(str, loc)] if prefix else map(str, loc))
    field, holder = _field_at(schema, loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = key.rsplit(".", 1)[0] if "." in key else "params.yaml"
        known = list(getattr(holder, "model_fields", {}))
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"{key} is not a known key{hint}", f"remove it or fix its spelling; {parent} takes: {', '.join(known)}"
    if kind == "missing":
        what = allowed_values(field) if field is not None else "its section"
        return f"{key} is missing", f"add {key}: {what}"
    value = _yaml_value(err.get("input"))
    if field is None:
        return f"{key} is {value}: {err['msg']}", f"correct {key} (see the README)"
    return (
        f"{key} is {value}, not {allowed_values(field).split(' (default')[0]}",
        f"set {key} to {allowed_values(field)}",
    )


def params_error(source: str, problems: list[tuple[str, str]]) -> PipelineError:
    if len(problems) == 1:
        return PipelineError(f"{source}: {problems[0][0]}", problems[0][1])
    return PipelineError(
        f"{source} has {len(problems)} problems:\n" + "\n".join(f"  - {p}" for p, _ in problems),
        "\n" + "\n".join(f"  - {f}" for _, f in problems),
    )


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
