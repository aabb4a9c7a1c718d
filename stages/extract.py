"""extract: the fetched twcs.csv -> data/interim/tweets.parquet + extract_report.json.

Every record read is accounted for: kept, or counted under one kind of drop. A tweet_id
repeated with different content loses every copy; more than extract.max_conflicting_share
of such tweet_ids stops the stage. Params: extract.max_conflicting_share.
"""

import pyarrow.parquet as pq

from twcs_classifier.extract import extract
from twcs_classifier.files import write_json, write_with
from twcs_classifier.layout import Layout
from twcs_classifier.params import load_params
from twcs_classifier.stage_runner import run_stage

LAYOUT = Layout.find()


def main() -> None:
    params = load_params(models=False)
    table, report = extract(LAYOUT.raw_data, max_conflicting_share=params.extract.max_conflicting_share)
    write_with(LAYOUT.tweets, lambda tmp: pq.write_table(table, tmp))
    write_json(LAYOUT.extract_report, report)
    dropped = {k.removeprefix("dropped_"): v for k, v in report.items() if k.startswith("dropped_") and v}
    print(
        f"extract: {report['rows_read']} records read, {report['rows_written']} tweets kept "
        f"({report['inbound']} inbound, {report['outbound']} outbound), "
        + (f"dropped: {', '.join(f'{v} {k}' for k, v in dropped.items())}; " if dropped else "nothing dropped; ")
        + (
            f"{report['conflicting_tweet_ids']} tweet_ids had copies with different content (every copy dropped; "
            f"e.g. {report['conflicting_examples'][0]}); "
            if report["conflicting_tweet_ids"]
            else ""
        )
        + f"{report['conversations']} conversations -> {LAYOUT.tweets}"
    )


if __name__ == "__main__":
    run_stage(main)
