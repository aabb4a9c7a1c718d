"""fetch: data.raw_path -> data/fetched/twcs.csv, the pipeline's DVC-tracked copy of the raw data,
and data/fetched/fetch_report.json (the source's path and the sha256 of source and copy).

The file (or Kaggle zip) data.raw_path names is checked as extract would check it (not
empty, the header, a row) and only then copied; the user's file (data/raw/twcs.csv by
default) is never written. The stage always runs (`always_changed`: DVC cannot see a file
outside its outputs change), copies only when the source's sha256 changed, and leaves the
copy as it is otherwise, so nothing after it reruns. Any problem stops here, before a later
stage removes its outputs. Params: data.raw_path.
"""

from twcs_classifier.data_source import fetch_raw_data
from twcs_classifier.layout import Layout
from twcs_classifier.params import load_params
from twcs_classifier.stage_runner import run_stage

LAYOUT = Layout.find()


def main() -> None:
    raw_path = load_params(models=False).data.raw_path
    done = fetch_raw_data(raw_path, LAYOUT)
    report = done.report
    source = report["source"] + (f"!{report['member']}" if report["member"] else "")
    print(
        f"fetch: {source} (sha256 {report['sha256'][:12]}…, {report['bytes'] / 1e6:.1f} MB) -> {LAYOUT.raw_data}: "
        + {"copied": "copied, after the checks", "unchanged": "unchanged", "kept": "kept"}[done.action]
    )
    if done.note:
        print(f"note: {done.note}")


if __name__ == "__main__":
    run_stage(main)
