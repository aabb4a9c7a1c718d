"""Rank the trained models and say plainly who wins under which test condition."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .evaluation import CONDITIONS
from .metrics import standard_error
from .selection import Selection

RANK_SPLIT = "test"


def rank_models(metrics: dict[str, dict[str, Any]], rank_by: str = "f1_macro", split: str = RANK_SPLIT) -> list[str]:
    """Model names, best first, by ``rank_by`` on ``split`` (ties: name order)."""
    for name, m in metrics.items():
        if split not in m or rank_by not in m[split]:
            raise ValueError(f"metrics of {name!r} have no {split}.{rank_by}")
    return sorted(metrics, key=lambda n: (-float(metrics[n][split][rank_by]), n))


def _ordinal(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def verdict(
    metrics: dict[str, dict[str, Any]], selected: str, rank_by: str = "f1_macro", split: str = RANK_SPLIT
) -> str:
    """One sentence: does the selected model win on ``split`` ``rank_by``; if it does not but
    trails the leader by at most one standard error of the leader's figure (a difference the
    test split's size cannot tell from noise), it says so; otherwise a warning names who
    beats it."""
    if selected not in metrics:
        raise ValueError(f"selected model {selected!r} has no metrics (have: {', '.join(sorted(metrics))})")
    order = rank_models(metrics, rank_by, split)
    label = CONDITIONS.get(split, split)
    sel = float(metrics[selected][split][rank_by])
    beaten_by = [n for n in order if float(metrics[n][split][rank_by]) > sel]
    if not beaten_by:
        return f"{label.capitalize()}: the selected model, {selected}, wins ({rank_by} {sel:.4f})."
    place = f"{_ordinal(order.index(selected) + 1)} of {len(order)}"
    leader = order[0]
    best = float(metrics[leader][split][rank_by])
    se = standard_error(best, int(metrics[leader][split]["n"]))
    if best - sel <= se:
        return (
            f"{label.capitalize()}: the selected model, {selected} ({rank_by} {sel:.4f}, {place}), is within one "
            f"standard error (±{se:.4f}) of {leader} ({best:.4f}): a tie at this test size."
        )
    return (
        f"Warning: {label}: the selected model, {selected} ({rank_by} {sel:.4f}, {place}), is beaten by "
        + ", ".join(f"{n} ({float(metrics[n][split][rank_by]):.4f})" for n in beaten_by)
        + f" (one standard error: ±{se:.4f})."
    )


def compare(
    metrics: dict[str, dict[str, Any]], selection: Selection, rank_by: str = "f1_macro"
) -> tuple[dict[str, Any], str]:
    """The compare stage's outputs: a JSON summary and a Markdown table with the verdicts
    about the model ``selection`` chose."""
    selected = selection.model
    order = rank_models(metrics, rank_by)
    conditions = [c for c in CONDITIONS if all(c in m for m in metrics.values())]
    sentences = {c: verdict(metrics, selected, rank_by, c) for c in conditions}
    winners = {c: rank_models(metrics, rank_by, c)[0] for c in conditions}
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
        "best": order[0],
        "selected_is_best": order[0] == selected
        or float(metrics[selected][RANK_SPLIT][rank_by]) == float(metrics[order[0]][RANK_SPLIT][rank_by]),
        "verdict": sentences[RANK_SPLIT],
        "winners": winners,
        "verdicts": sentences,
        "models": {r["model"]: {k: v for k, v in r.items() if k != "model"} for r in rows},
    }
    return summary, markdown_table(rows, conditions, sentences, rank_by)


def _fmt(x: Any) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.4f}"
    return str(x)


def markdown_table(rows: list[dict[str, Any]], conditions: list[str], sentences: dict[str, str], rank_by: str) -> str:
    """Rows of :func:`compare` as a Markdown table followed by one verdict per condition."""
    head = ["rank", "model"]
    for c in conditions:
        head += [f"{CONDITIONS[c]} accuracy", f"{CONDITIONS[c]} F1"]
    head += ["ECE random (before scaling)", "log loss random", "val accuracy"]
    lines = [
        f"Models ranked by {rank_by} on the random test split (selected model in bold). "
        "F1 is macro-averaged; ECE is the expected calibration error (15 bins) of the served probabilities.",
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
    lines += ["", *[f"- {sentences[c]}" for c in conditions], ""]
    return "\n".join(lines)
