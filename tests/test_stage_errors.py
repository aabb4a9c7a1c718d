"""Bad input through a stage: a message naming problem and fix, exit code 2, nothing written."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"


def run_extract(tmp_path: Path, raw: Path) -> subprocess.CompletedProcess[str]:
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"data": {"raw_path": str(raw)}}))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "stages.extract"], cwd=tmp_path, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        (b"", "is empty"),
        (b"a,b\n1,2\n", "lacks the column(s)"),
        ((HEADER + "1,a,perhaps,x,hello,,\n").encode(), "'perhaps'"),
        ((HEADER + "1,a,True,x,caf\xe9,,\n").encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_extract_stage_fails_cleanly(tmp_path: Path, content, message) -> None:
    raw = tmp_path / "raw" / "twcs.csv"
    if content is not None:
        raw.parent.mkdir()
        raw.write_bytes(content)
    proc = run_extract(tmp_path, raw)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "How to fix:" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").rglob("*.parquet"))
