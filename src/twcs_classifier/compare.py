"""Rank the trained models and say, per test condition, whether any model is significantly
better than the selected one, on a paired test on the same tweets (:mod:`.paired`).

One function words the verdicts (:func:`condition_verdict`, :func:`overall_verdict`); the
compare stage writes them to ``metrics/compare.json`` and ``metrics/compare.md``, and the
model card and the app's Models page show those sentences as written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .evaluation import CONDITIONS
from .paired import (
    CORRECTION,
    METHOD,
    PairTest,
    pair_of,
    pair_tests,
    significantly_better_than,
    significantly_worse_than,
)
from .selection import Selection

RANK_SPLIT = "test"
VALIDATION = "validation"
SET_NAMES: dict[str, str] = {VALIDATION: "validation split", **CONDITIONS}
"""Every scored set's name in sentences."""


def rank_models(
    metrics: Mapping[str, Mapping[str, Any]], rank_by: str = "f1_macro", split: str = RANK_SPLIT
) -> list[str]:
    """Model names, best first, by ``rank_by`` on ``split`` (ties: name order). The order of
    the figures only: whether a lead means anything is the paired tests' to say."""
    for name, m in metrics.items():
        if split not in m or rank_by not in m[split]:
            raise ValueError(f"metrics of {name!r} have no {split}.{rank_by}")
    return sorted(metrics, key=lambda n: (-float(metrics[n][split][rank_by]), n))


def _ordinal(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def format_p(p: float) -> str:
    """A p-value with three decimals (``< 0.001`` below that)."""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def paired_tests_by_set(
    metrics: Mapping[str, Mapping[str, Any]],
    correct: Mapping[str, Mapping[str, np.ndarray]],
    rank_by: str,
    alpha: float,
) -> dict[str, list[PairTest]]:
    """:func:`~twcs_classifier.paired.pair_tests` on every scored set (``validation`` and each
    test condition) that every model was scored on, in :data:`SET_NAMES` order."""
    out = {}
    for name in SET_NAMES:
        if name in correct and all(name in metrics[m] for m in metrics):
            values = {m: float(metrics[m][name][rank_by]) for m in metrics}
            out[name] = pair_tests({m: correct[name][m] for m in metrics}, values, rank_by, alpha)
    return out


@dataclass(frozen=True)
class Verdict:
    """What the paired tests say about the selected model under one test condition."""

    condition: str
    selected: str
    rank_by: str
    rank: int
    """The selected model's place by the figure alone (1 is first)."""
    values: dict[str, float]
    """``rank_by`` of every model on this condition."""
    better: list[str]
    """The models significantly better than the selected one: named in a warning."""
    tied: list[str]
    """The models neither significantly better nor significantly worse."""
    worse: list[str]
    """The models the selected one is significantly better than."""
    n: int
    """Tweets of the condition (every model was scored on these)."""
    sentence: str

    def as_dict(self) -> dict[str, Any]:
        """For JSON."""
        return asdict(self)


def condition_verdict(condition: str, selected: str, tests: Sequence[PairTest], alpha: float) -> Verdict:
    """The verdict on ``selected`` under ``condition`` from the condition's paired tests (all
    pairs, adjusted together). A sentence starting ``Warning:`` names every model significantly
    better than the selected one; otherwise it says the selected model is not significantly
    worse than any, and calls the rest a tie (or names those it is significantly better than).
    Each other model comes with its discordant tweets (``x vs y``: only it, only the selected
    model gets right) and its p-values."""
    values = {t.a: t.a_value for t in tests} | {t.b: t.b_value for t in tests}
    if not tests:
        values = {}
    label = SET_NAMES.get(condition, condition)
    rank_by = tests[0].metric if tests else ""
    others = sorted((n for n in values if n != selected), key=lambda n: (-values[n], n))
    if not others:
        sentence = f"{label.capitalize()}: {selected} is the only model compared."
        return Verdict(condition, selected, rank_by, 1, values, [], [], [], 0, sentence)
    better = significantly_better_than(selected, tests)
    worse = [n for n in others if n in significantly_worse_than(selected, tests)]
    tied = [n for n in others if n not in better and n not in worse]
    better = [n for n in others if n in better]
    n_tweets = tests[0].n
    rank = 1 + sum(values[n] > values[selected] for n in others)

    def about(name: str) -> str:
        t = pair_of(selected, name, tests)
        p = format_p(t.p_value)
        return (
            f"{name} ({values[name]:.4f}; {t.only(name)} vs {t.only(selected)} tweets, "
            f"p {p if p.startswith('<') else '= ' + p}, Holm {format_p(t.p_adjusted)})"
        )

    head = f"the selected model, {selected} ({rank_by} {values[selected]:.4f}, {_ordinal(rank)} of {len(values)}),"
    groups = []
    if worse:
        groups.append("significantly better than " + _join([about(n) for n in worse]))
    if tied:
        groups.append("a tie with " + _join([about(n) for n in tied]))
    how = (
        f"x vs y: of the same {n_tweets:,} tweets, those only that model and those only {selected} gets right; "
        f"{METHOD.split(' (')[0]}, {CORRECTION}-adjusted over the {len(tests)} pairs, significant below {alpha:g}."
    )
    if better:
        groups.insert(0, "is significantly worse than " + _join([about(n) for n in better]))
        sentence = f"Warning: {label}: {head} " + "; ".join(groups) + f". {how}"
    else:
        sentence = f"{label.capitalize()}: {head} is not significantly worse than any model: " + "; ".join(groups)
        sentence += f". {how}"
    return Verdict(condition, selected, rank_by, rank, values, better, tied, worse, n_tweets, sentence)


def overall_verdict(selected: str, verdicts: Mapping[str, Verdict], alpha: float) -> str:
    """One sentence over every test condition: the selected model's goal is to be not
    significantly worse than any model under any of them."""
    how = f"paired {METHOD.split(' (')[0]}s on the same tweets, {CORRECTION}-adjusted, significant below {alpha:g}"
    beaten = [(c, v.better) for c, v in verdicts.items() if v.better]
    if not beaten:
        return (
            f"{selected} is not significantly worse than any compared model under any test condition "
            f"({_join([SET_NAMES[c] for c in verdicts]) if verdicts else 'none scored'}; {how})."
        )
    where = [f"{_join(better)} on {SET_NAMES[c]}" for c, better in beaten]
    return f"Warning: {selected} is significantly worse than " + "; ".join(where) + f" ({how})."


def compare(
    metrics: dict[str, dict[str, Any]],
    selection: Selection,
    tests: Mapping[str, Sequence[PairTest]],
    rank_by: str = "f1_macro",
    alpha: float = 0.05,
) -> tuple[dict[str, Any], str]:
    """The compare stage's outputs: a JSON summary and a Markdown report (the ranking table,
    the verdicts about the model ``selection`` chose, every paired test). ``tests`` are
    :func:`paired_tests_by_set`'s."""
    selected = selection.model
    order = rank_models(metrics, rank_by)
    conditions = [c for c in CONDITIONS if c in tests]
    verdicts = {c: condition_verdict(c, selected, tests[c], alpha) for c in conditions}
    rows = []
    for rank, name in enumerate(order, start=1):
        m = metrics[name]
        row: dict[str, Any] = {"rank": rank, "model": name, "selected": name == selected}
        for c in conditions:
            row[c] = {
                k: m[c].get(k) for k in ("accuracy", "f1_macro", "roc_auc", "log_loss", "ece", "ece_uncalibrated")
            }
        row["val_accuracy"] = m["validation"]["accuracy"]
        row["val_f1_macro"] = m["validation"]["f1_macro"]
        row["test_n"] = m["test"]["n"]
        rows.append(row)
    summary = {
        "rank_by": f"{RANK_SPLIT}.{rank_by}",
        "selected": selected,
        "selection": asdict(selection),
        "leader": order[0],
        "paired_test": {"method": METHOD, "correction": CORRECTION, "alpha": alpha, "family": "the pairs of one set"},
        "not_significantly_worse": not any(v.better for v in verdicts.values()),
        "verdict": overall_verdict(selected, verdicts, alpha),
        "verdicts": {c: v.sentence for c, v in verdicts.items()},
        "standing": {
            c: {k: getattr(v, k) for k in ("rank", "better", "tied", "worse", "n")} for c, v in verdicts.items()
        },
        "pairs": {s: [t.as_dict() for t in ts] for s, ts in tests.items()},
        "models": {r["model"]: {k: v for k, v in r.items() if k != "model"} for r in rows},
    }
    return summary, markdown_report(rows, conditions, summary, rank_by)


def _fmt(x: Any) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.4f}"
    return str(x)


def pair_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every paired test of a compare summary as one row (set, models, discordant tweets,
    p-values, verdict): the table of ``compare.md`` and of the app."""
    rows = []
    for set_name, tests in summary.get("pairs", {}).items():
        for t in tests:
            rows.append(
                {
                    "set": SET_NAMES.get(set_name, set_name),
                    "A": t["a"],
                    "B": t["b"],
                    "only A right": t["a_only"],
                    "only B right": t["b_only"],
                    "p": format_p(t["p_value"]),
                    "p (Holm)": format_p(t["p_adjusted"]),
                    "verdict": f"{t['better']} significantly better" if t["better"] else "a tie",
                }
            )
    return rows


def method_note(summary: Mapping[str, Any]) -> str:
    """How the verdicts are reached, in a few sentences (compare.md and the app)."""
    test = summary["paired_test"]
    rank_by = summary["rank_by"].split(".", 1)[-1]
    return (
        f"Every pair of models is tested on the same tweets of each set with an {test['method']}. "
        f"The p-values of a set's pairs are adjusted together with {test['correction']}'s method (each set is its "
        f"own question). A model is significantly better than another when the adjusted p is below {test['alpha']:g}, "
        f"it gets more of the tweets that split the two right, and it is ahead on {rank_by}; anything else is a tie. "
        "The adjustment makes a tie easier to reach, so the unadjusted p is shown beside it."
    )


def markdown_report(rows: list[dict[str, Any]], conditions: list[str], summary: Mapping[str, Any], rank_by: str) -> str:
    """Rows of :func:`compare` as a Markdown table, the verdicts, then every paired test."""
    head = ["rank", "model"]
    for c in conditions:
        head += [f"{CONDITIONS[c]} accuracy", f"{CONDITIONS[c]} F1"]
    head += ["ECE random (before scaling)", "log loss random", "val accuracy"]
    lines = [
        f"Models in order of {rank_by} on the random test split (selected model in bold); whether a lead means "
        "anything is for the paired tests below to say. F1 is macro-averaged; ECE is the expected calibration "
        "error (15 bins) of the served probabilities.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for r in rows:
        cells = [str(r["rank"]), f"**{r['model']}**" if r["selected"] else r["model"]]
        for c in conditions:
            cells += [_fmt(r[c]["accuracy"]), _fmt(r[c]["f1_macro"])]
        t = r["test"]
        cells += [f"{_fmt(t['ece'])} ({_fmt(t['ece_uncalibrated'])})", _fmt(t["log_loss"]), _fmt(r["val_accuracy"])]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Verdicts", "", f"**{summary['verdict']}**", ""]
    lines += [f"- {summary['verdicts'][c]}" for c in conditions]
    pairs = pair_rows(summary)
    if pairs:
        columns = list(pairs[0])
        lines += ["", "## Paired tests", "", method_note(summary), ""]
        lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(str(p[c]) for c in columns) + " |" for p in pairs]
    lines.append("")
    return "\n".join(lines)
