"""Command line: label tweets with a trained model, or fetch twcs.csv
(``python -m twcs_classifier {predict,fetch-data} ...``).

Every failure ends in a message saying what is wrong and how to fix it, with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import PipelineError, guarded


def check_arguments(texts: list[str]) -> None:
    """Text arguments must be valid UTF-8 (Python keeps undecodable bytes as lone surrogates)."""
    for i, text in enumerate(texts, start=1):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            byte = ord(text[err.start]) - 0xDC00 if 0xDC80 <= ord(text[err.start]) <= 0xDCFF else None
            shown = f"byte 0x{byte:02x}" if byte is not None else f"character {text[err.start]!r}"
            raise PipelineError(
                f"text argument #{i} is not valid UTF-8 ({shown} at position {err.start + 1})",
                "pass the text in UTF-8 (e.g. convert it with iconv -f latin1 -t utf-8), or put it in a CSV "
                "and use --csv with --encoding",
            ) from None


PROG = "python -m twcs_classifier"
CLI_MEMORY_FIX = (
    "a --csv file is read whole, and in memory it takes several times its size on disk: label it in parts "
    "(smaller CSV files, each with the header row), or free memory (close other programs) and run again"
)
"""The advice when the CLI runs out of memory (the stages' advice, params.yaml's sizes, does not apply)."""
EXAMPLES = f"""\
examples:
  {PROG} predict "@AmazonHelp my parcel never arrived"
  {PROG} predict --model logreg "@AmazonHelp where is my order?" "@115712 Sorry to hear that! ^JK"
  {PROG} predict --explain "@115712 Sorry to hear that! ^JK"
  {PROG} predict --csv tweets.csv --text-column text --out tweets_labelled.csv
  {PROG} predict --csv export.csv --encoding latin-1 --out export_labelled.csv
  {PROG} predict --csv tweets.csv --out for_excel.csv --spreadsheet-safe
"""
PREDICT_NOTES = """
Each text gets one JSON line: label (inbound: a customer query; outbound: a company reply),
label_text, confidence (the probability of that label) and p_inbound; probabilities are
shown to 4 decimals and kept within 0.0001..0.9999 (a model is never certain). A blank text
(nothing left once normalised) is an error (exit 2). --explain adds words: each word (what is
written between spaces, its punctuation with it; a sign-off such as ^JK or - LT is one word) as
the model reads it and its Shapley value, how far it pushes the log-odds of inbound (positive:
towards inbound, negative: towards outbound; they add up to the log-odds of the text minus
those of an empty text).

A CSV (strict UTF-8 unless --encoding says otherwise) gets the columns predicted_label,
p_inbound, p_outbound and confidence (every digit), with a suffix (_1) where it has such a
column already; blank rows get none and are counted. One JSON line sums it up: rows,
labelled, inbound, outbound, missing_text and, when the file has a label column (one named
inbound, label, is_inbound, truth or class whose values read as True/False, 1/0 or
inbound/outbound; or --label-column), its name, rows_scored, accuracy and f1_macro.

Which file is which: by default --out is exact, for programs: every input cell comes back as
it was read (a text starting with = + - or @ included), so pandas or this command read back
what you gave. --spreadsheet-safe writes a file for opening in a spreadsheet instead: cells a
spreadsheet would run as formulas (starting with = + - @, tab or carriage return) get a leading
' and the file starts with a UTF-8 byte-order mark; a program reading it sees that '.

--model names a model the pipeline trained (models/<name>) or "selected", the default;
--model-dir (or $TWCS_MODEL_DIR) points at a saved model anywhere.
"""


def _model_names() -> str:
    """The models of the project (params.yaml's compare.models), for the help text."""
    from .dvc_pipeline import configured_models
    from .layout import Layout

    names = configured_models(Layout.find().root)
    return ", ".join(names) if names else "those under compare.models in params.yaml"


def _load(args: argparse.Namespace):
    """The model ``--model`` names, else the one in ``--model-dir`` / ``$TWCS_MODEL_DIR`` /
    models/selected."""
    from .inference import load_named, load_selected

    if args.model and args.model_dir:
        raise PipelineError("--model and --model-dir both name a model", "give one of them")
    return load_named(args.model) if args.model else load_selected(args.model_dir)


@contextmanager
def _progress_bar(mode: str) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr over a CSV's rows, fed by ``predict_csv``'s progress callback;
    ``auto`` shows it when stderr is a terminal, ``always`` and ``never`` as they say."""
    from tqdm import tqdm

    bars = []

    def update(done: int, total: int) -> None:
        if not bars:
            disable = {"auto": None, "always": False, "never": True}[mode]
            bars.append(tqdm(total=total, unit=" rows", desc="labelling", disable=disable, file=sys.stderr))
        bars[0].update(done - bars[0].n)

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


def _predict(args: argparse.Namespace) -> int:
    from .inference import explain, predict, shown_probability

    check_arguments(args.text)
    if args.csv:
        from .serving import predict_csv

        if args.explain:
            raise PipelineError("--explain scores the words of text arguments, not of a --csv", "drop --explain")
        if args.text or not args.out:
            raise PipelineError(
                "--csv needs --out and no text argument", "e.g. predict --csv in.csv --text-column text --out out.csv"
            )
        model = _load(args)
        with _progress_bar(args.progress) as progress:
            summary = predict_csv(
                model,
                args.csv,
                args.text_column,
                args.out,
                encoding=args.encoding,
                progress=progress,
                spreadsheet=args.spreadsheet_safe,
                **({} if args.label_column is None else {"label_column": args.label_column or None}),
            )
        print(json.dumps({"out": str(args.out), **summary}, ensure_ascii=False))
        return 0
    if not args.text:
        raise PipelineError(
            "nothing to predict", 'give a text, e.g. predict "@AmazonHelp where is my order?", or --csv'
        )
    model = _load(args)
    for text, pred in zip(args.text, predict(model, args.text)):
        line = {
            "text": text,
            "label": pred.label,
            "label_text": pred.label_text,
            "confidence": shown_probability(pred.confidence),
            "p_inbound": shown_probability(pred.p_inbound),
        }
        if args.explain:
            line["words"] = [[word, round(score, 4)] for word, score in explain(model, text)]
        print(json.dumps(line, ensure_ascii=False))
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from .data_source import ensure_raw_data
    from .params import load_params

    raw = args.path or load_params(args.params, models=False).data.raw_path
    path = ensure_raw_data(raw)
    print(f"twcs.csv is at {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; any failure is printed as a message (problem, how to fix) with exit code 2
    (:func:`~twcs_classifier.errors.guarded`). TensorFlow's native log lines stay off stderr
    (:func:`~twcs_classifier.native_logs.quiet_native_logs`)."""
    from .native_logs import quiet_native_logs

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Tell a customer's tweet to a brand (inbound) from the brand's reply (outbound).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "predict",
        help="label tweets with a trained model (the selected one by default)",
        description="Label tweets given as arguments, or every row of a CSV.",
        epilog=EXAMPLES + PREDICT_NOTES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("text", nargs="*", help="tweet texts to label")
    p.add_argument(
        "--model",
        metavar="NAME",
        help=f"a model the pipeline trained ({_model_names()}) or selected (the default)",
    )
    p.add_argument("--explain", action="store_true", help="also score each word of each text: how it pushes the label")
    p.add_argument("--csv", type=Path, help="a CSV of texts to label")
    p.add_argument("--text-column", default="text", help="the CSV column holding the texts (default: text)")
    p.add_argument(
        "--out",
        type=Path,
        help="where to write the labelled CSV (not the input file); exact, for programs, unless --spreadsheet-safe",
    )
    p.add_argument(
        "--spreadsheet-safe",
        action="store_true",
        help="write --out for a spreadsheet: formula-like cells get a leading ' (not for reading back by a program)",
    )
    p.add_argument(
        "--label-column",
        metavar="NAME",
        default=None,
        help="the CSV column that says which tweets are customer queries, to score the labels against "
        '(default: one named like inbound or label, if any; "" for none)',
    )
    p.add_argument(
        "--encoding", default="utf-8", help="the encoding of the --csv file (default: utf-8, strictly; e.g. latin-1)"
    )
    p.add_argument("--model-dir", type=Path, default=None, help="a saved model (default: models/selected)")
    p.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="a progress bar on stderr while a CSV is labelled (default auto: when stderr is a terminal)",
    )
    p.set_defaults(func=_predict)
    f = sub.add_parser("fetch-data", help="put twcs.csv at data.raw_path (unzip or download with kagglehub)")
    f.add_argument("--path", type=Path, default=None, help="where twcs.csv should be (default: data.raw_path)")
    f.add_argument("--params", type=Path, default=Path("params.yaml"))
    f.set_defaults(func=_fetch)
    args = parser.parse_args(argv)

    def run() -> int:
        with quiet_native_logs():
            return args.func(args)

    return guarded(run, memory_fix=CLI_MEMORY_FIX)


if __name__ == "__main__":
    sys.exit(main())
