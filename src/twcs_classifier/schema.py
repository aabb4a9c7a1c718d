"""Strict schemas for params sections, built from defaults, and the messages that name a bad
key and what it allows. A leaf module: the params file's schema (:mod:`.params`) and every
model's own params (:mod:`.models.base`) use it, and it imports neither.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .errors import PipelineError

STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
"""Unknown keys refused, no type coercion, read-only."""


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
    return create_model(name, __config__=STRICT, **fields)


def validate_section(
    schema: type[BaseModel], values: Mapping[str, Any], prefix: str
) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """Validate ``values`` against ``schema``: the values with every default filled in, or
    ``None`` and a (problem, fix) pair per bad key, keys named ``<prefix>.<key>``."""
    try:
        return schema.model_validate(dict(values)).model_dump(), []
    except ValidationError as err:
        return None, [describe_error(e, schema, prefix) for e in err.errors()]


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


def describe_error(err: Mapping[str, Any], schema: Any, prefix: str = "") -> tuple[str, str]:
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


def ngram_range_problems(prefix: str, low: int, high: int, can_turn_off: bool = False) -> list[tuple[str, str]]:
    """An empty character n-gram range (``<prefix>.char_ngram_min`` above ``char_ngram_max``) as
    a (problem, fix) pair naming both params, or none. With ``can_turn_off``, a
    ``char_ngram_max`` of 0 means no n-grams and is no problem.

    >>> ngram_range_problems("logreg", 6, 5)[0][0]
    'logreg.char_ngram_min (6) is above logreg.char_ngram_max (5)'
    >>> ngram_range_problems("clean_tokenize", 2, 0, can_turn_off=True)
    []
    """
    if low <= high or (can_turn_off and high == 0):
        return []
    fix = f"set {prefix}.char_ngram_min <= {prefix}.char_ngram_max (e.g. 2 and 5)"
    if can_turn_off:
        fix += f", or {prefix}.char_ngram_max: 0 to turn n-grams off"
    return [(f"{prefix}.char_ngram_min ({low}) is above {prefix}.char_ngram_max ({high})", fix)]
