"""Are the word scores faithful? Checks :mod:`twcs_classifier.explanation` (Shapley values over
words) on real test tweets for every trained model, and prints the figures.

Usage (from the repository root, after ``dvc repro``)::

    python benchmarks/explanation_faithfulness.py                      # this project
    python benchmarks/explanation_faithfulness.py --project /path/to/a/built/clone
    python benchmarks/explanation_faithfulness.py --models gru logreg --tweets 50

It reads nothing but ``models/<name>`` (loaded with :func:`twcs_classifier.models.load_model`)
and the ``text`` and ``label`` columns of ``data/processed/{test,unseen_brands}.parquet`` (or
the ``--splits`` given: ``val`` is the validation split), and writes nothing. With
``--respell-sign-offs N`` each company reply with a sign-off is scored ``N`` times with its
sign-off respelled (:func:`twcs_classifier.text.respell_sign_off`: other marks and initials
than the tweet's) instead of as written: how the models read sign-offs they never saw,
measured on the validation split (``--splits val``) without a test split. For each
model it measures:

- **Comprehensiveness** (ERASER, DeYoung et al. 2020) on ``--tweets`` random tweets of each
  split: removing the top 20 % of the words read (the explanation's units,
  :func:`twcs_classifier.text.words`), ranked by their score for the predicted class, should
  lower the predicted class's probability (as served) far more than removing as many random
  words (``--draws`` draws a tweet). Printed: the ratio of the mean drops, per predicted class
  (target: at least 5x for both). The same for leave-one-word-out scores, for comparison.
- **Sign-offs**: company replies (label 0) that end in an agent's sign-off (``^JK``, ``-LT``,
  ``- LT``, ``/GK``: :data:`twcs_classifier.text.SIGN_OFF` finds it; the
  explanation scores it as one word), up to ``--signoffs`` a split: the share where the
  sign-off scores towards company reply (negative; target: at least 90 %); the same for
  leave-one-out scores. For a two-token sign-off (mark, initials) it also counts the replies
  where adding the initials raises the log-odds of *inbound* in each of four contexts (the rest
  of the text with the mark, without it, the mark alone, nothing): there no method that scored
  the initials apart from the mark could score them towards company reply.
  And every word holding "sorry", "we'll" or "dm" as a token (``dm``, ``dm.``) in up to
  ``--words`` company replies a split holding each: the share scored towards company reply.
- **Latency**: :func:`twcs_classifier.inference.explain` (what the app's one-tweet page calls)
  on test tweets of exactly 40 tokens: the median of ``--repeat`` runs each after one
  warm-up, then the median and the worst of those medians (target: at most 300 ms on 2 cores).
- **Sampling accuracy**: on ``--reference`` tweets of more than
  :data:`~twcs_classifier.explanation.EXACT_MAX_WORDS` words, the scores at the default
  number of evaluations against a reference with ``--factor`` times as many orders: the
  relative error (L2 norm of the difference over that of the reference), the share of words
  whose sign agrees (among words whose reference score is at least a tenth of the largest)
  and the overlap of the top 20 %.
- **Checks**: the largest gap between the sum of a text's scores and its log-odds minus the
  empty text's (Shapley efficiency: 0 up to rounding), and how many of the texts given to the
  model do not read back as themselves when normalised and masked again (must be 0: the model
  is given exactly the tokens kept), and how many explained texts' words do not hold exactly
  their tokens, in order (must be 0).

It prints figures; it checks nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from twcs_classifier import inference
from twcs_classifier.explanation import DEFAULT_EVALUATIONS, EXACT_MAX_WORDS, WordScores, word_scores
from twcs_classifier.layout import MODEL_META as META_FILE
from twcs_classifier.layout import SELECTED, Layout
from twcs_classifier.models import TextClassifier, load_model
from twcs_classifier.text import SIGN_OFF, normalise, preprocess_many, respell_sign_off

SPLITS = ("test", "unseen_brands")
WORDS = ("sorry", "we'll", "dm")
TOP_SHARE = 0.2
LATENCY_TOKENS = 40


class Checked:
    """A model that counts the texts it is given that do not read back as themselves
    (normalised, and masked when the model masks)."""

    def __init__(self, model: TextClassifier) -> None:
        self.model = model
        self.masked = bool(model.params.get("mask", False))
        self.texts = 0
        self.changed = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def logits(self, texts: list[str]) -> np.ndarray:
        again = preprocess_many(texts, self.masked)
        self.texts += len(texts)
        self.changed += sum(a != b for a, b in zip(again, texts))
        return self.model.logits(texts)


@dataclass
class Figures:
    """What one model scored."""

    name: str
    drops: dict[str, dict[int, list[tuple[float, float]]]] = field(default_factory=dict)
    """Per method, per predicted class: (drop removing the top words, mean drop removing random ones)."""
    sign_offs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """Per split: the sign-off's score by Shapley, then by leave-one-out."""
    sign_offs_skipped: int = 0
    initials_raise: dict[str, list[bool]] = field(default_factory=dict)
    """Per split, per two-token sign-off: whether adding the initials raises the log-odds of
    *inbound* in each of four contexts (see :func:`initials_raise`)."""
    words: dict[str, list[float]] = field(default_factory=dict)
    latency_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    latency_evaluations: int = 0
    accuracy: list[tuple[float, float, float]] = field(default_factory=list)
    efficiency_gap: float = 0.0
    texts: int = 0
    changed: int = 0
    tweets: int = 0
    words_differ: int = 0


def read_split(data_dir: Path, split: str) -> pd.DataFrame:
    frame = pd.read_parquet(data_dir / f"{split}.parquet", columns=["text", "label"])
    frame["split"] = split
    return frame


def pick(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return frame.sample(n=min(n, len(frame)), random_state=seed) if n < len(frame) else frame


def served_logits(model: Any, texts: Sequence[str]) -> np.ndarray:
    return np.asarray(model.logits(list(texts)), dtype=np.float64) / float(model.params["temperature"])


def joined(words: Sequence[tuple[str, ...]]) -> str:
    """The text of some words as the model is given it: their tokens joined by spaces."""
    return " ".join(t for word in words for t in word)


def leave_one_out(model: Any, words: list[tuple[str, ...]]) -> np.ndarray:
    """For comparison: log-odds of the text minus those without each word."""
    variants = [joined(words)] + [joined(words[:i] + words[i + 1 :]) for i in range(len(words))]
    z = served_logits(model, variants)
    return z[0] - z[1:]


def initials_raise(model: Any, tokens: list[str]) -> bool:
    """Whether adding a two-token sign-off's initials (the last token) raises the log-odds of
    *inbound* in each of four contexts: the rest of the text with the mark, the rest without
    it, the mark alone and the empty text. Where it does, every score that averages the
    initials' marginal effects over contexts (Shapley, Owen, Banzhaf or leave-one-out values)
    is positive: no such method can score them towards company reply."""
    body, mark, initials = tokens[:-2], tokens[-2], tokens[-1]
    pairs = [
        (body + [mark], body + [mark, initials]),
        (body, body + [initials]),
        ([mark], [mark, initials]),
        ([], [initials]),
    ]
    z = served_logits(model, [" ".join(t) for pair in pairs for t in pair]).reshape(-1, 2)
    return bool(np.all(z[:, 1] > z[:, 0]))


def p_class(z: np.ndarray, cls: int) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-z))
    return p if cls == 1 else 1.0 - p


def comprehensiveness(
    model: Any, read: list[tuple[str, ...]], scores: np.ndarray, full: float, rng: np.random.Generator, draws: int
) -> tuple[int, float, float]:
    """(predicted class, drop of its probability removing the top 20 % of the words by score,
    mean drop removing as many random words)."""
    cls = int(full >= 0)
    k = max(1, math.ceil(TOP_SHARE * len(read)))
    towards = scores if cls == 1 else -scores
    top = set(np.argsort(-towards, kind="stable")[:k].tolist())
    randoms = [set(rng.choice(len(read), size=k, replace=False).tolist()) for _ in range(draws)]
    texts = [joined([w for i, w in enumerate(read) if i not in drop]) for drop in [top, *randoms]]
    z = served_logits(model, texts)
    p_full = p_class(np.array([full]), cls)[0]
    drops = p_full - p_class(z, cls)
    return cls, float(drops[0]), float(drops[1:].mean())


def explain_all(model: Any, texts: list[str], evaluations: int) -> dict[str, WordScores]:
    return {t: word_scores(model, t, evaluations) for t in dict.fromkeys(texts)}


def read_words(model: Any, result: WordScores) -> list[tuple[str, ...]]:
    """The words the model reads, each with the tokens of it that it reads (the players)."""
    left = len(result.tokens) if model.max_tokens_read is None else model.max_tokens_read
    out = []
    for word in result.words[: result.read]:
        out.append(word[: max(left, 0)])
        left -= len(word)
    return out


def ends_in_sign_off(model: Any, text: str, result: WordScores) -> bool:
    """Whether the model reads all of the text's last word, and it is the text's sign-off
    (:data:`~twcs_classifier.text.SIGN_OFF`): not when the sign-off is masked
    away, past the tokens the model reads, or glued into one token with the word before."""
    match = SIGN_OFF.search(text)
    if match is None or not result.words or read_words(model, result) != result.words:
        return False
    return list(result.words[-1]) == normalise(match.group(0)).split(" ")


def measure(name: str, model_dir: Path, frames: dict[str, pd.DataFrame], args: argparse.Namespace) -> Figures:
    started = time.perf_counter()
    model = Checked(load_model(model_dir))
    fig = Figures(name)
    rng = np.random.default_rng(args.seed)
    sample = {s: pick(f, args.tweets, args.seed) for s, f in frames.items()}
    agent = {s: f[f["label"] == 0] for s, f in frames.items()}
    signed = {
        s: pick(a[a["text"].map(lambda t: SIGN_OFF.search(t) is not None)], args.signoffs, args.seed)
        for s, a in agent.items()
    }
    if args.respell_sign_offs:
        respelling = np.random.default_rng([args.seed, 1])
        signed = {
            s: pd.DataFrame(
                {"text": [respell_sign_off(t, respelling) for t in f["text"] for _ in range(args.respell_sign_offs)]}
            )
            for s, f in signed.items()
        }

    def holding(word: str) -> Callable[[str], bool]:
        return lambda text: word in normalise(text).split(" ")

    worded = {
        f"{s}:{w}": pick(a[a["text"].map(holding(w))], args.words, args.seed) for s, a in agent.items() for w in WORDS
    }
    texts = [t for group in (sample, signed, worded) for f in group.values() for t in f["text"]]
    explained = explain_all(model, texts, args.evaluations)
    fig.tweets = len(explained)
    fig.efficiency_gap = max(abs(r.scores.sum() - (r.full - r.empty)) for r in explained.values())
    fig.words_differ = sum(
        r.tokens != (preprocess_many([t], model.masked)[0].split(" ") if r.words else []) for t, r in explained.items()
    )

    # Comprehensiveness, Shapley and leave-one-out.
    fig.drops = {"shapley": {0: [], 1: []}, "leave-one-out": {0: [], 1: []}}
    for frame in sample.values():
        for text in frame["text"]:
            r = explained[text]
            if r.read == 0:
                continue
            read = read_words(model, r)
            for method, scores in (("shapley", r.scores[: r.read]), ("leave-one-out", leave_one_out(model, read))):
                cls, top, rand = comprehensiveness(model, read, scores, r.full, rng, args.draws)
                fig.drops[method][cls].append((top, rand))

    # Sign-offs and words in company replies.
    for split, frame in signed.items():
        rows = fig.sign_offs.setdefault(split, [])
        for text in frame["text"]:
            r = explained[text]
            if not ends_in_sign_off(model, text, r):
                fig.sign_offs_skipped += 1
                continue
            rows.append((float(r.scores[-1]), float(leave_one_out(model, r.words)[-1])))
            if len(r.words[-1]) == 2:
                fig.initials_raise.setdefault(split, []).append(initials_raise(model, r.tokens))
    for frame in worded.values():
        for text in frame["text"]:
            r = explained[text]
            for word, score in zip(r.words[: r.read], r.scores[: r.read]):
                for token in set(word) & set(WORDS):
                    fig.words.setdefault(token, []).append(float(score))

    # Sampling accuracy against many more orders.
    long = [
        t for t in dict.fromkeys(t for f in sample.values() for t in f["text"]) if explained[t].read > EXACT_MAX_WORDS
    ]
    for text in long[: args.reference]:
        ours = explained[text]
        ref = word_scores(model, text, args.evaluations * args.factor, seed=1).scores[: ours.read]
        est = ours.scores[: ours.read]
        strong = np.abs(ref) >= 0.1 * np.abs(ref).max()
        k = max(1, math.ceil(TOP_SHARE * ours.read))
        overlap = len(set(np.argsort(-np.abs(est))[:k]) & set(np.argsort(-np.abs(ref))[:k])) / k
        fig.accuracy.append(
            (
                float(np.linalg.norm(est - ref) / np.linalg.norm(ref)),
                float(np.mean(np.sign(est[strong]) == np.sign(ref[strong]))),
                overlap,
            )
        )
    fig.texts, fig.changed = model.texts, model.changed

    # Latency of the serving path on 40-token tweets.
    plain = model.model
    forty = [
        t
        for t in (frames["test"]["text"] if "test" in frames else [])
        if len(preprocess_many([t], bool(plain.params["mask"]))[0].split(" ")) == LATENCY_TOKENS
    ]
    for text in forty[: args.latency_tweets]:
        inference.explain(plain, text)
        runs, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            inference.explain(plain, text)
            runs.append((time.perf_counter() - t0) * 1000.0)
            cpu.append((time.process_time() - c0) * 1000.0)
        fig.latency_ms.append(statistics.median(runs))
        fig.cpu_ms.append(statistics.median(cpu))
    if forty:
        fig.latency_evaluations = word_scores(plain, forty[0], args.evaluations).evaluations
    print(f"  {name}: {fig.tweets} tweets explained in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return fig


def ratio(pairs: list[tuple[float, float]]) -> str:
    if not pairs:
        return "-"
    top, rand = np.mean([p[0] for p in pairs]), np.mean([p[1] for p in pairs])
    times = f"{top / rand:.1f}x" if rand > 0 else "n/a"
    return f"{times} ({top:.3f} / {rand:.3f})"


def share(values: Sequence[float]) -> str:
    values = list(values)
    if not values:
        return "-"
    negative = sum(v < 0 for v in values)
    return f"{negative}/{len(values)} ({100 * negative / len(values):.0f}%)"


def report(figures: list[Figures], args: argparse.Namespace) -> None:
    print(
        f"\nExplanations: Shapley values over words, {args.evaluations} evaluations a text (exact up to "
        f"{EXACT_MAX_WORDS} words); python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{args.load_before:.1f} before and {os.getloadavg()[0]:.1f} after\n"
    )
    print(
        "Comprehensiveness: mean drop of the predicted class's probability removing the top 20 % of words by "
        "score over that removing as many random ones (the two mean drops)"
    )
    print("| model | predicted inbound | predicted outbound | leave-one-out: inbound | outbound | tweets (in/out) |")
    print("|---|---|---|---|---|---|")
    for f in figures:
        d = f.drops
        print(
            f"| {f.name} | {ratio(d['shapley'][1])} | {ratio(d['shapley'][0])} | {ratio(d['leave-one-out'][1])} "
            f"| {ratio(d['leave-one-out'][0])} | {len(d['shapley'][1])}/{len(d['shapley'][0])} |"
        )
    print("\nCompany replies: share of scores towards company reply (negative)")
    print(
        "| model | split | sign-off (one word) | leave-one-out: sign-off | initials raise inbound in all 4 contexts |"
    )
    print("|---|---|---|---|---|")
    for f in figures:
        for split, rows in f.sign_offs.items():
            cols = list(zip(*rows)) if rows else [[], []]
            raise_ = f.initials_raise.get(split, [])
            raised = f"{sum(raise_)}/{len(raise_)}" if raise_ else "-"
            print(f"| {f.name} | {split} | {share(cols[0])} | {share(cols[1])} | {raised} |")
    print("\n| model | " + " | ".join(f'"{w}"' for w in WORDS) + " | sign-offs not read as such |")
    print("|---|" + "---|" * (len(WORDS) + 1))
    for f in figures:
        print(f"| {f.name} | " + " | ".join(share(f.words.get(w, [])) for w in WORDS) + f" | {f.sign_offs_skipped} |")
    print(
        "\nLatency of inference.explain on 40-token test tweets, and sampling accuracy against "
        f"{args.factor}x the orders:"
    )
    print(
        "| model | evaluations | median ms | worst tweet's median ms | CPU ms (median) | rel. error "
        "| sign agreement | top-20% overlap |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for f in figures:
        acc = np.array(f.accuracy) if f.accuracy else np.full((1, 3), np.nan)
        lat = (
            f"{statistics.median(f.latency_ms):.0f} | {max(f.latency_ms):.0f} | {statistics.median(f.cpu_ms):.0f}"
            if f.latency_ms
            else "- | - | -"
        )
        print(
            f"| {f.name} | {f.latency_evaluations} | {lat} | {acc[:, 0].mean():.2f} | "
            f"{100 * acc[:, 1].mean():.0f}% | {100 * acc[:, 2].mean():.0f}% |"
        )
    print("\nChecks:")
    for f in figures:
        print(
            f"  {f.name}: {f.tweets} texts explained; largest |sum of scores - (full - empty)| "
            f"{f.efficiency_gap:.1e}; {f.changed} of {f.texts:,} texts given to the model changed when "
            f"normalised again; {f.words_differ} texts whose words differ from their tokens; "
            f"{len(f.latency_ms)} latency tweets, {len(f.accuracy)} accuracy tweets"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--project", type=Path, default=Layout.find().root, help="a built project (default: Layout.find())"
    )
    parser.add_argument("--models-dir", type=Path, help="default: <project>/models")
    parser.add_argument("--data-dir", type=Path, help="default: <project>/data/processed")
    parser.add_argument("--models", nargs="*", help="model names (default: every trained model)")
    parser.add_argument("--tweets", type=int, default=100, help="random tweets a split for comprehensiveness")
    parser.add_argument("--signoffs", type=int, default=100, help="company replies with a sign-off, at most, a split")
    parser.add_argument(
        "--words", type=int, default=60, help="company replies holding sorry/we'll/dm, at most, a split"
    )
    parser.add_argument("--draws", type=int, default=5, help="random removals a tweet")
    parser.add_argument("--evaluations", type=int, default=DEFAULT_EVALUATIONS, help="model evaluations a text")
    parser.add_argument("--reference", type=int, default=20, help="tweets for the sampling accuracy")
    parser.add_argument("--factor", type=int, default=10, help="the reference has this many times the evaluations")
    parser.add_argument("--latency-tweets", type=int, default=5, help="40-token tweets timed")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs a latency tweet")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--splits", nargs="+", choices=("test", "unseen_brands", "val"), default=list(SPLITS))
    parser.add_argument(
        "--respell-sign-offs",
        type=int,
        default=0,
        help="score each reply's sign-off respelled this many times (other marks, initials) instead of as written",
    )
    args = parser.parse_args(argv)
    layout = Layout(args.project)
    models_dir = args.models_dir or layout.models
    data_dir = args.data_dir or layout.processed_file("test").parent
    names = (
        args.models or sorted(d.name for d in models_dir.iterdir() if d.name != SELECTED and (d / META_FILE).is_file())
        if models_dir.is_dir()
        else []
    )
    if not names:
        print(f"no trained models in {models_dir}: run `dvc repro` first", file=sys.stderr)
        return 2
    args.load_before = os.getloadavg()[0]
    frames = {s: read_split(data_dir, s) for s in args.splits}
    print(f"models {', '.join(names)} from {models_dir}; tweets from {data_dir}", file=sys.stderr)
    figures = [measure(name, models_dir / name, frames, args) for name in names]
    report(figures, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
