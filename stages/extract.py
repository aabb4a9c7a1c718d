"""extract: twcs.csv -> data/interim/tweets.parquet + extract_report.json.

Params: data.raw_path.
"""

import pyarrow.parquet as pq

from twcs_classifier.errors import run_stage
from twcs_classifier.extract import extract
from twcs_classifier.files import load_params, section, write_json, write_with
from twcs_classifier.layout import Layout

LAYOUT = Layout()


def main() -> None:
    params = section(load_params(), "data")
    table, report = extract(params["raw_path"])
    write_with(LAYOUT.tweets, lambda tmp: pq.write_table(table, tmp))
    write_json(LAYOUT.extract_report, report)
    print(
        f"extract: {report['rows_written']} tweets ({report['inbound']} inbound, {report['outbound']} outbound), "
        f"{report['conversations']} conversations -> {LAYOUT.tweets}"
    )


if __name__ == "__main__":
    run_stage(main)
