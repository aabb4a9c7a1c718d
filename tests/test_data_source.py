"""Getting twcs.csv: a file in place, a Kaggle zip, a download, or a clear error offline."""

import zipfile
from pathlib import Path

import pytest

from twcs_classifier import data_source
from twcs_classifier.data_source import ensure_raw_data
from twcs_classifier.errors import PipelineError

CSV = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n1,a,True,x,hi,,\n"


def never(dataset: str) -> Path:
    raise AssertionError("must not download")


def test_existing_file_is_used(tmp_path: Path) -> None:
    raw = tmp_path / "twcs.csv"
    raw.write_text(CSV)
    assert ensure_raw_data(raw, download=never) == raw


def test_kaggle_zip_beside_it_is_unpacked(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "customer-support-on-twitter.zip", "w") as zf:
        zf.writestr("twcs/twcs.csv", CSV)
    raw = tmp_path / "twcs.csv"
    assert ensure_raw_data(raw, download=never).read_text() == CSV


def test_download_is_copied_into_place(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "versions" / "10"
    (cache / "twcs").mkdir(parents=True)
    (cache / "twcs" / "twcs.csv").write_text(CSV)
    raw = tmp_path / "data" / "raw" / "twcs.csv"
    seen = []
    assert ensure_raw_data(raw, download=lambda d: seen.append(d) or cache).read_text() == CSV
    assert seen == ["thoughtvector/customer-support-on-twitter"]


def test_offline_without_a_file_names_the_path_and_the_command(tmp_path: Path) -> None:
    def offline(dataset: str) -> Path:
        raise ConnectionError("Failed to resolve host")

    raw = tmp_path / "data" / "raw" / "twcs.csv"
    with pytest.raises(PipelineError) as err:
        ensure_raw_data(raw, download=offline)
    text = str(err.value)
    assert str(raw) in text and "ConnectionError" in text and "fetch-data" in text
    assert not raw.exists()


def test_kagglehub_is_the_downloader(tmp_path: Path, monkeypatch) -> None:
    import kagglehub

    (tmp_path / "twcs.csv").write_text(CSV)
    calls = []
    monkeypatch.setattr(kagglehub, "dataset_download", lambda handle: calls.append(handle) or str(tmp_path))
    assert data_source.kagglehub_download("thoughtvector/customer-support-on-twitter") == tmp_path
    assert calls == ["thoughtvector/customer-support-on-twitter"]
