"""sample: balanced, disjoint, duplicate-free splits on small in-memory frames."""

import pandas as pd
import pytest

from twcs_classifier.errors import PipelineError
from twcs_classifier.sampling import SampleSizes, allocate_conversations, balanced_sample, split_checks
from twcs_classifier.text import normalise


def tweets(n_conv: int = 300, per_conv: int = 4, seed: int = 0) -> pd.DataFrame:
    """Conversations alternating customer and company tweets, with unique texts."""
    rows = []
    tid = 0
    for c in range(n_conv):
        for k in range(per_conv):
            tid += 1
            inbound = k % 2 == 0
            rows.append(
                {
                    "tweet_id": tid,
                    "conversation_id": c * 100,
                    "company": f"Brand{c % 7}",
                    "author_id": str(5000 + c) if inbound else f"Brand{c % 7}",
                    "text": f"{'@Brand my order' if inbound else '@5000 sorry, DM us'} number {tid}",
                    "inbound": inbound,
                }
            )
    return pd.DataFrame(rows)


def test_splits_are_balanced_disjoint_and_unique() -> None:
    splits, report = balanced_sample(tweets(), SampleSizes.from_params(400, 100, 0.25), seed=1)
    assert set(splits) == {"train", "val", "test", "unseen_brands"}
    assert len(splits.pop("unseen_brands")) == 0  # no brand held out here
    assert all(report["checks"].values()), report["checks"]
    for name, frame in splits.items():
        assert frame["label"].sum() * 2 == len(frame), name
    ids = [set(f["tweet_id"]) for f in splits.values()]
    convs = [set(f["conversation_id"]) for f in splits.values()]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not ids[i] & ids[j] and not convs[i] & convs[j]
    assert report["actual"]["train"]["n"] == 300 and report["actual"]["val"]["n"] == 100
    assert report["actual"]["test"]["n"] == 100


def test_duplicate_texts_are_skipped_and_counted() -> None:
    frame = tweets(n_conv=200)
    copies = frame["inbound"] & (frame["tweet_id"] % 4 == 1)
    frame.loc[copies, "text"] = "@Brand   Where is MY order?"  # one text after normalising
    frame.loc[frame.index[0], "text"] = "@brand where is my order ?"
    splits, report = balanced_sample(frame, SampleSizes.from_params(200, 50, 0.2), seed=3)
    texts = [normalise(t) for f in splits.values() for t in f["text"]]
    assert len(texts) == len(set(texts))
    assert report["skipped_duplicate_text"] > 0
    assert report["checks"]["unique_normalised_text"]


def test_fewer_rows_than_asked_fills_test_first_and_shares_the_rest() -> None:
    # 50 conversations of 2 inbound + 2 outbound: 100 of each class, far fewer than asked.
    with pytest.warns(UserWarning, match="asked for"):
        splits, report = balanced_sample(tweets(n_conv=50), SampleSizes.from_params(10_000, 40, 0.1), seed=0)
    actual = {name: v["n"] for name, v in report["actual"].items()}
    assert actual["test"] == 40  # what was asked, before train takes anything
    assert actual["val"] >= 10 and actual["train"] >= 9 * actual["val"] - 20  # the rest, shared 1:9
    assert report["warnings"] and all(report["checks"].values())
    assert sum(actual.values()) == sum(len(f) for f in splits.values()) <= 200
    assert report["requested"] == {"train": 9000, "val": 1000, "test": 40, "unseen_brands": 40}


def test_a_huge_n_train_does_not_starve_the_test_split() -> None:
    sizes = SampleSizes.from_params(10**7, 100, 0.1)
    with pytest.warns(UserWarning):
        _, report = balanced_sample(tweets(n_conv=300), sizes, seed=3, min_split=50)
    assert report["actual"]["test"]["n"] == 100 and report["actual"]["train"]["n"] >= 400


def test_a_split_below_the_floor_stops_with_the_sizes() -> None:
    with pytest.raises(PipelineError, match=r"too few tweets for the val split[\s\S]*sample.min_split = 50"):
        balanced_sample(tweets(n_conv=40), SampleSizes.from_params(400, 100, 0.1), seed=0, min_split=50)
    with pytest.raises(PipelineError, match=r"the train split \(0 of[\s\S]*lower sample.n_test"):
        balanced_sample(tweets(n_conv=40), SampleSizes.from_params(400, 1000, 0.1), seed=0, min_split=50)


def test_same_seed_same_sample_other_seed_other_sample() -> None:
    frame = tweets()
    sizes = SampleSizes.from_params(300, 100, 0.2)
    a, _ = balanced_sample(frame, sizes, seed=7)
    b, _ = balanced_sample(frame, sizes, seed=7)
    c, _ = balanced_sample(frame, sizes, seed=8)
    assert all(a[k].equals(b[k]) for k in a)
    assert a["test"]["tweet_id"].tolist() != c["test"]["tweet_id"].tolist()


def test_allocation_does_not_depend_on_row_order() -> None:
    frame = tweets(n_conv=80)
    sizes = SampleSizes.from_params(200, 60, 0.2)
    first = dict(zip(frame["conversation_id"], allocate_conversations(frame, sizes, seed=4)))
    shuffled = frame.sample(frac=1.0, random_state=1)
    second = dict(zip(shuffled["conversation_id"], allocate_conversations(shuffled, sizes, seed=4)))
    assert first == second
    assert {"test", "val", "train"} == set(first.values())


def test_no_rows_for_a_split_is_an_error() -> None:
    frame = tweets(n_conv=3)
    with pytest.raises(PipelineError, match="too few tweets"):
        balanced_sample(frame, SampleSizes.from_params(100, 100, 0.5), seed=0)


def test_split_checks_catch_leaks() -> None:
    a = pd.DataFrame({"tweet_id": [1, 2], "conversation_id": [1, 2], "text": ["x", "y"], "label": [1, 0]})
    b = pd.DataFrame({"tweet_id": [3, 4], "conversation_id": [2, 4], "text": ["X", "z"], "label": [1, 1]})
    checks = split_checks({"train": a, "test": b})
    assert checks == {
        "disjoint_tweet_ids": True,
        "disjoint_conversations": False,
        "balanced": False,
        "unique_normalised_text": False,
        "holdout_brands_unseen": True,
    }


@pytest.mark.parametrize(("n_train", "n_test", "val"), [(1, 10, 0.1), (10, 10, 0.0), (10, 10, 1.0)])
def test_bad_sizes_are_rejected(n_train, n_test, val) -> None:
    with pytest.raises(ValueError):
        SampleSizes.from_params(n_train, n_test, val)
