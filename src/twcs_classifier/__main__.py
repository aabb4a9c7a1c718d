"""Command line: ``python -m twcs_classifier {predict,fetch-data} ...``.

Every failure ends in a message saying what is wrong and how to fix it, with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
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


def _predict(args: argparse.Namespace) -> int:
    from .serving import load_selected, predict, predict_csv

    check_arguments(args.text)
    if args.csv:
        if args.text or not args.out:
            raise PipelineError(
                "--csv needs --out and no text argument", "e.g. predict --csv in.csv --text-column text --out out.csv"
            )
        model = load_selected(args.model_dir)
        counts = predict_csv(model, args.csv, args.text_column, args.out, encoding=args.encoding)
        print(json.dumps({"out": str(args.out), **counts}))
        return 0
    if not args.text:
        raise PipelineError(
            "nothing to predict", 'give a text, e.g. predict "@AmazonHelp where is my order?", or --csv'
        )
    model = load_selected(args.model_dir)
    for text, pred in zip(args.text, predict(model, args.text)):
        print(
            json.dumps(
                {
                    "text": text,
                    "label": pred.label,
                    "label_text": pred.label_text,
                    "confidence": round(pred.confidence, 4),
                    "p_inbound": round(pred.p_inbound, 4),
                },
                ensure_ascii=False,
            )
        )
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from .data_source import ensure_raw_data
    from .params import load_params

    raw = args.path or load_params(args.params).data.raw_path
    path = ensure_raw_data(raw)
    print(f"twcs.csv is at {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; any failure is printed as a message (problem, how to fix) with exit code 2."""
    parser = argparse.ArgumentParser(prog="python -m twcs_classifier", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="label tweets with the selected model")
    p.add_argument("text", nargs="*", help="tweet texts to label")
    p.add_argument("--csv", type=Path, help="a CSV of texts to label")
    p.add_argument("--text-column", default="text", help="the CSV column holding the texts (default: text)")
    p.add_argument("--out", type=Path, help="where to write the labelled CSV (not the input file)")
    p.add_argument(
        "--encoding", default="utf-8", help="the encoding of the --csv file (default: utf-8, strictly; e.g. latin-1)"
    )
    p.add_argument("--model-dir", type=Path, default=None, help="a saved model (default: models/selected)")
    p.set_defaults(func=_predict)
    f = sub.add_parser("fetch-data", help="put twcs.csv at data.raw_path (unzip or download with kagglehub)")
    f.add_argument("--path", type=Path, default=None, help="where twcs.csv should be (default: data.raw_path)")
    f.add_argument("--params", type=Path, default=Path("params.yaml"))
    f.set_defaults(func=_fetch)
    args = parser.parse_args(argv)
    return guarded(lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
