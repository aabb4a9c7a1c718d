"""Honest evaluation: masking rules, the brand hold-out, calibration error, temperature scaling."""

import numpy as np
import pandas as pd
import pytest

from twcs_classifier.calibration import fit_temperature
from twcs_classifier.errors import PipelineError
from twcs_classifier.metrics import expected_calibration_error, reliability_points
from twcs_classifier.sampling import SampleSizes, balanced_sample, choose_holdout_brands
from twcs_classifier.text import mask


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("@AmazonHelp my parcel", "@user my parcel"),  # brand handle
        ("@115712 Sorry to hear that", "@user Sorry to hear that"),  # numeric customer id
        (".@Delta please fix", ".@user please fix"),
        ("@Ask_Spectrum @12 hi", "@user @user hi"),
        ("see https://t.co/AbC123 now", "see  xxurl  now"),  # link
        ("order 1234567 is late", "order xxnum is late"),  # numeric id
        ("Please DM us. ^JK", "Please DM us."),  # sign-offs, each style
        ("Please DM us -KC", "Please DM us"),
        ("Happy to help /GK ", "Happy to help"),
        ("Glad to help *TS\n", "Glad to help"),
        ("We can help ~Ann", "We can help"),
        ("We can help — Ann", "We can help"),
    ],
)
def test_each_kind_of_mark_is_masked(raw: str, expected: str) -> None:
    assert mask(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I paid 20 dollars for 3 items",
        "A/B testing is fun",
        "3/4 done, thanks",
        "Good job ^^",
        "write to me at user@example.com",
        "where is my order?",
        "Mon vol est annulé 😡",
    ],
)
def test_ordinary_text_stays_untouched(text: str) -> None:
    assert mask(text) == text


def test_masking_twice_changes_nothing_more() -> None:
    once = mask("@115712 order 123456 https://t.co/x ^JK")
    assert mask(once) == once


def test_holdout_brands_fraction_is_seeded_and_explicit_list_wins() -> None:
    companies = [f"B{i}" for i in range(10)] + [None, "B1"]
    a = choose_holdout_brands(companies, 0.2, seed=1)
    assert len(a) == 2 and a == choose_holdout_brands(companies, 0.2, seed=1)
    assert choose_holdout_brands(companies, 0.01, seed=1) != []  # at least one when asked for any
    assert choose_holdout_brands(companies, 0.0, seed=1) == []
    assert choose_holdout_brands(companies, 0.5, seed=1, explicit=["B3"]) == ["B3"]
    with pytest.raises(PipelineError, match="not in the data: Nope"):
        choose_holdout_brands(companies, 0.2, seed=1, explicit=["Nope"])


def brand_tweets() -> pd.DataFrame:
    rows = []
    for c in range(240):
        brand = f"Brand{c % 6}"
        for k in range(2):
            tid = c * 10 + k
            rows.append(
                {
                    "tweet_id": tid,
                    "conversation_id": c * 10,
                    "company": brand,
                    "author_id": str(9000 + c) if k == 0 else brand,
                    "text": f"{'my order' if k == 0 else 'we can help'} {tid}",
                    "inbound": k == 0,
                }
            )
    return pd.DataFrame(rows)


def test_held_out_brands_never_reach_train_or_validation() -> None:
    tweets = brand_tweets()
    with pytest.warns(UserWarning):
        splits, report = balanced_sample(tweets, SampleSizes.from_params(300, 60, 0.2), 0, ["Brand2", "Brand5"])
    assert report["checks"]["holdout_brands_unseen"] and all(report["checks"].values())
    for name in ("train", "val", "test"):
        assert not splits[name]["company"].isin(["Brand2", "Brand5"]).any(), name
    assert set(splits["unseen_brands"]["company"]) == {"Brand2", "Brand5"}
    assert splits["unseen_brands"]["label"].mean() == 0.5
    held_convs = set(tweets.loc[tweets["company"].isin(["Brand2", "Brand5"]), "conversation_id"])
    for name in ("train", "val", "test"):
        assert not set(splits[name]["conversation_id"]) & held_convs
    assert report["holdout_brands"] == ["Brand2", "Brand5"]


def test_no_holdout_gives_an_empty_unseen_split() -> None:
    splits, report = balanced_sample(brand_tweets(), SampleSizes.from_params(200, 40, 0.2), 0)
    assert len(splits["unseen_brands"]) == 0 and not report["warnings"]


def test_ece_on_hand_computed_cases() -> None:
    # All four right; confidences 0.9, 0.6, 0.8, 0.55 (0.6 and 0.55 share a bin).
    assert expected_calibration_error([1, 1, 0, 0], [0.9, 0.6, 0.2, 0.45]) == pytest.approx(
        (0.1 + 0.2 + 2 * (1 - 0.575)) / 4
    )
    # Same bin (confidence 0.7), one right and one wrong: |0.5 - 0.7|.
    assert expected_calibration_error([1, 0], [0.7, 0.7]) == pytest.approx(0.2)
    assert expected_calibration_error([1, 0, 1, 0], [1.0, 0.0, 1.0, 0.0]) == 0.0
    # Two bins: 0.95 (right) and 0.65 (wrong) -> (0.05 + 0.65) / 2.
    assert expected_calibration_error([1, 1], [0.95, 0.35], n_bins=15) == pytest.approx(0.35)


def test_reliability_points_count_every_example() -> None:
    rows = reliability_points([1, 0, 1, 0], [0.9, 0.2, 0.3, 0.6])
    assert sum(r["count"] for r in rows) == 4
    assert all(0 <= r["accuracy"] <= 1 for r in rows)


def test_temperature_scaling_recovers_an_overconfident_scale() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, 20_000)
    y = (rng.random(len(z)) < 1 / (1 + np.exp(-z))).astype(int)
    assert fit_temperature(3.0 * z, y) == pytest.approx(3.0, rel=0.05)
    assert fit_temperature(z, y) == pytest.approx(1.0, rel=0.05)
    assert fit_temperature(z[:1], y[:1]) == 1.0


def test_every_model_keeps_its_temperature_through_save_and_load(tmp_path) -> None:
    from test_models import TINY_RNN, data

    from twcs_classifier.models import build_model, load_model
    from twcs_classifier.text import normalise_many
    from twcs_classifier.tokenizer import adapt_tokenizer

    train, val = data(80, 0), data(40, 1)
    tok = adapt_tokenizer(normalise_many(train.texts), 200, 12)
    for params in ({"kind": "logreg", "min_df": 1}, {**TINY_RNN, "cell": "gru"}):
        model = build_model(params, seed=0, tokenizer=tok).fit(train, val)
        t = model.params["temperature"]
        assert t > 0 and t != 1.0
        proba = model.probabilities(val.texts)
        before, after = proba.uncalibrated[:, 1], proba.calibrated[:, 1]
        np.testing.assert_allclose(after, model.predict_proba(val.texts)[:, 1])
        logit = np.log(before / (1 - before))
        np.testing.assert_allclose(after, 1 / (1 + np.exp(-logit / t)), atol=1e-4)
        model.save(tmp_path / params["kind"])
        np.testing.assert_allclose(
            load_model(tmp_path / params["kind"]).predict_proba(val.texts)[:, 1], after, atol=1e-6
        )
