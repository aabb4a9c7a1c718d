"""Rank the trained models and say plainly how the selected one stands."""

from __future__ import annotations

from typing import Any

RANK_SPLIT = "test"


def rank_models(metrics: dict[str, dict[str, Any]], rank_by: str = "f1_macro") -> list[str]:
    """Model names, best first, by ``rank_by`` on the test split (ties: name order)."""
    for name, m in metrics.items():
        if RANK_SPLIT not in m or rank_by not in m[RANK_SPLIT]:
            raise ValueError(f"metrics of {name!r} have no {RANK_SPLIT}.{rank_by}")
    return sorted(metrics, key=lambda n: (-float(metrics[n][RANK_SPLIT][rank_by]), n))


def verdict(metrics: dict[str, dict[str, Any]], selected: str, rank_by: str = "f1_macro") -> str:
    """One sentence: does the selected model win on test ``rank_by``, and if not, who does."""
    if selected not in metrics:
        raise ValueError(f"selected model {selected!r} has no metrics (have: {', '.join(sorted(metrics))})")
    order = rank_models(metrics, rank_by)
    best = order[0]
    sel = float(metrics[selected][RANK_SPLIT][rank_by])
    top = float(metrics[best][RANK_SPLIT][rank_by])
    if best == selected or top == sel:
        return f"The selected model, {selected}, has the best test {rank_by} ({sel:.4f})."
    beaten_by = [n for n in order if float(metrics[n][RANK_SPLIT][rank_by]) > sel]
    return (
        f"Warning: the selected model, {selected} (test {rank_by} {sel:.4f}), is beaten by "
        + ", ".join(f"{n} ({float(metrics[n][RANK_SPLIT][rank_by]):.4f})" for n in beaten_by)
        + ". Set select.model in params.yaml to choose another model."
    )


def compare(metrics: dict[str, dict[str, Any]], selected: str, rank_by: str = "f1_macro") -> tuple[dict[str, Any], str]:
    """The compare stage's outputs: a JSON summary and a Markdown table."""
    order = rank_models(metrics, rank_by)
    rows = []
    for rank, name in enumerate(order, start=1):
        t, v = metrics[name]["test"], metrics[name]["validation"]
        rows.append(
            {
                "rank": rank,
                "model": name,
                "selected": name == selected,
                "test_accuracy": t["accuracy"],
                "test_f1_macro": t["f1_macro"],
                "test_roc_auc": t["roc_auc"],
                "test_average_precision": t["average_precision"],
                "test_log_loss": t["log_loss"],
                "val_accuracy": v["accuracy"],
                "test_n": t["n"],
                "train_seconds": metrics[name].get("timing", {}).get("train_seconds"),
            }
        )
    sentence = verdict(metrics, selected, rank_by)
    summary = {
        "rank_by": f"{RANK_SPLIT}.{rank_by}",
        "selected": selected,
        "best": order[0],
        "selected_is_best": sentence.startswith("The selected"),
        "verdict": sentence,
        "models": {r["model"]: {k: v for k, v in r.items() if k != "model"} for r in rows},
    }
    return summary, markdown_table(rows, sentence, rank_by)


def _fmt(x: Any) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.4f}"
    return str(x)


def markdown_table(rows: list[dict[str, Any]], sentence: str, rank_by: str) -> str:
    """Rows of :func:`compare` as a Markdown table followed by the verdict."""
    head = (
        "| rank | model | test accuracy | test F1 (macro) | test ROC-AUC | test AP | test log loss "
        "| val accuracy | test n | train s |"
    )
    sep = "|" + "---|" * 10
    lines = [f"Models ranked by test {rank_by} (selected model in bold).", "", head, sep]
    for r in rows:
        name = f"**{r['model']}**" if r["selected"] else r["model"]
        secs = r["train_seconds"]
        lines.append(
            f"| {r['rank']} | {name} | {_fmt(r['test_accuracy'])} | {_fmt(r['test_f1_macro'])} | "
            f"{_fmt(r['test_roc_auc'])} | {_fmt(r['test_average_precision'])} | {_fmt(r['test_log_loss'])} | "
            f"{_fmt(r['val_accuracy'])} | {r['test_n']} | {'n/a' if secs is None else f'{secs:.1f}'} |"
        )
    lines += ["", sentence, ""]
    return "\n".join(lines)
