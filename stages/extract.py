"""extract: twcs.csv -> data/interim/tweets.parquet + extract_report.json.

Params: data.raw_path.
"""

import pyarrow.parquet as pq

from twcs_classifier.errors import run_stage
from twcs_classifier.extract import extract
from twcs_classifier.files import load_params, section, write_json, write_with

OUT = "data/interim/tweets.parquet"
REPORT = "data/interim/extract_report.json"


def main() -> None:
    params = section(load_params(), "data")
    table, report = extract(params["raw_path"])
    write_with(OUT, lambda tmp: pq.write_table(table, tmp))
    write_json(REPORT, report)
    print(
        f"extract: {report['rows_written']} tweets ({report['inbound']} inbound, {report['outbound']} outbound), "
        f"{report['conversations']} conversations -> {OUT}"
    )


if __name__ == "__main__":
    run_stage(main)
