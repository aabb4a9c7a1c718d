"""fetch: data.raw_path -> data/raw/twcs.csv, the pipeline's DVC-tracked copy of the raw data.

The file (or Kaggle zip) data.raw_path names is checked, unzipped or downloaded if need be,
and linked (or copied) to data/raw/twcs.csv; DVC caches it, so `dvc checkout` and
`dvc exp run --temp` have it. Any problem stops here, before a later stage removes its
outputs. Params: data.raw_path.
"""

from twcs_classifier.data_source import materialise_raw_data
from twcs_classifier.errors import run_stage
from twcs_classifier.layout import Layout
from twcs_classifier.params import load_params

LAYOUT = Layout()


def main() -> None:
    raw_path = load_params().data.raw_path
    path = materialise_raw_data(raw_path, LAYOUT.raw_data)
    print(f"fetch: {raw_path} -> {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    run_stage(main)
