"""Feeding the Keras models: batches, and the two training augmentations (masking, sign-offs
respelled), on tiny in-memory data."""

import numpy as np
import pytest

from twcs_classifier.models import LabelledTexts, build_model, keras_feed
from twcs_classifier.models.keras_feed import MASKED, ORIGINAL, RESPELLED, RESPELLINGS, Feed, batch_order
from twcs_classifier.text import SIGN_OFF, normalise_many
from twcs_classifier.tokenizer import adapt_tokenizer, input_token_ngrams, network_inputs

SIGNED = ["@1234 sorry to hear that, please DM us ^JK", "@5678 we are here to help /GK", "on it - LT"]
PLAIN = ["@AmazonHelp my order is late", "@Delta where is my bag", "@42 let us look into this for you"]
PARAMS = {
    "batch_size": 50,
    "bucket_by_length": True,
    "mask_augment": 0.0,
    "sign_off_augment": 0.5,
    "seed": 3,
}


def split(n: int = 600) -> LabelledTexts:
    texts = [(SIGNED + PLAIN)[i % 6] for i in range(n)]
    return LabelledTexts(texts, np.array([int(i % 6 >= 3 and i % 6 != 5) for i in range(n)]))


@pytest.fixture(scope="module")
def tokenizer():
    return adapt_tokenizer(normalise_many(SIGNED + PLAIN), max_tokens=100, sequence_length=12, ngram_buckets=1024)


def steps(x: dict) -> list[list[tuple]]:
    """Network inputs resolved per text and step: (n-gram ids, word id) of each token read."""
    return [[(tuple(input_token_ngrams(x, p - 1)), int(x["words"][p - 1])) for p in row if p] for row in x["positions"]]


def test_length_buckets_cover_every_tweet_once_and_group_similar_lengths() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 31, size=5000)

    def spread(bucket: bool) -> float:
        batches = batch_order(lengths, 32, bucket, np.random.default_rng(1))
        assert sorted(np.concatenate(batches).tolist()) == list(range(5000))  # each tweet once
        assert max(len(b) for b in batches) == 32
        return float(np.mean([np.ptp(lengths[b]) for b in batches]))

    assert spread(True) < 2 and spread(False) > 20  # lengths 1..30: a random batch spans nearly all of them
    in_order = batch_order(lengths, 32, False, None)
    assert [int(b[0]) for b in in_order] == list(range(0, 5000, 32))


def test_mask_augment_masks_about_that_share_afresh_each_epoch(tokenizer) -> None:
    feed = Feed.training(tokenizer, split(1000), {**PARAMS, "mask_augment": 0.3, "sign_off_augment": 0.0})

    def masked(rng) -> set[int]:
        return {int(i) for index, source in feed.epoch(rng) for i in index[source == MASKED]}

    rng = np.random.default_rng(3)
    first, second = masked(rng), masked(rng)
    assert 230 < len(first) < 370 and 230 < len(second) < 370 and first != second
    assert masked(np.random.default_rng(3)) == first  # seeded
    assert not masked(None)  # never in validation (no generator)


def test_sign_off_augment_respells_that_share_of_the_signed_tweets_afresh_each_epoch(tokenizer) -> None:
    data = split(1200)
    signed = {i for i, t in enumerate(data.texts) if SIGN_OFF.search(t)}
    assert len(signed) == 600
    feed = Feed.training(tokenizer, data, {**PARAMS, "mask_augment": 0.3, "sign_off_augment": 0.5})
    rng = np.random.default_rng(3)
    sources = []
    for _ in range(2):
        batches = feed.epoch(rng)
        source = np.empty(len(data.texts), dtype=np.int64)
        for index, s in batches:
            source[index] = s
        sources.append(source)
    for source in sources:
        respelled = set(np.flatnonzero(source >= RESPELLED).tolist())
        assert respelled <= signed  # never a tweet without a sign-off
        # half of those not fed masked (0.7 * 600 * 0.5 = 210)
        assert 160 < len(respelled) < 260
        assert set(source[source >= RESPELLED] - RESPELLED) == set(range(RESPELLINGS))
        assert 300 < np.sum(source == MASKED) < 420  # 0.3 of all 1200
    assert not np.array_equal(sources[0], sources[1])


def test_the_respelled_ids_are_the_respelled_texts_on_one_table(tokenizer) -> None:
    data = split(60)
    stage = tokenizer.encode(data.texts, with_masked=True)  # as the clean_tokenize stage
    feed = Feed.training(tokenizer, LabelledTexts(data.texts, data.labels, stage), PARAMS)
    table = feed.encoded.table
    assert table.tokens[: len(stage.table)] == stage.table.tokens  # the stage's rows stay valid
    assert all(np.array_equal(a, b) for a, b in zip(feed.encoded.rows, stage.rows))
    for i, text in enumerate(data.texts):
        variants = feed.respelled[i]
        assert len(variants) == (RESPELLINGS if SIGN_OFF.search(text) else 0)
        body = tokenizer.tokens([SIGN_OFF.sub("", text)])[0]
        seen = set()
        for rows in variants:
            tokens = [table.tokens[r] for r in rows]
            assert tokens[: len(body)] == body and tokens != tokenizer.tokens([text])[0]  # only the sign-off changed
            seen.add(tuple(tokens))
            # fed from the one table, the network reads what serving computes for that text
            alone = tokenizer.encode([" ".join(tokens)])
            assert steps(network_inputs(table, [rows])) == steps(network_inputs(alone.table, alone.rows))
        assert len(seen) == len(variants)  # drawn afresh for each


def test_validation_and_masked_tokenizers_get_no_respelling(tokenizer) -> None:
    data = split(120)
    params = {**PARAMS, "mask_augment": 1.0, "sign_off_augment": 1.0}
    val = Feed.evaluation(tokenizer, data, params)
    assert not any(len(r) for r in val.respelled) and val.mask_share == val.respell_share == 0
    assert all((s == ORIGINAL).all() for _, s in val.epoch(np.random.default_rng(0)))
    assert sorted(np.concatenate([i for i, _ in val.epoch(None)]).tolist()) == list(range(120))
    masking = adapt_tokenizer(normalise_many(SIGNED + PLAIN), max_tokens=100, sequence_length=12, mask=True)
    assert not any(len(r) for r in Feed.training(masking, data, params).respelled)


def test_the_training_batches_repeat_with_the_seed(tokenizer) -> None:
    data = split(300)

    def inputs(seed: int) -> list[list[list[tuple]]]:
        feed = Feed.training(tokenizer, data, {**PARAMS, "mask_augment": 0.3, "seed": seed})
        rng = np.random.default_rng(seed)
        return [
            steps(network_inputs(feed.encoded.table, feed.rows(i, s))) for _ in range(2) for i, s in feed.epoch(rng)
        ]

    assert inputs(3) == inputs(3)
    assert inputs(3) != inputs(4)


def test_a_keras_model_respells_only_its_training_split(tokenizer, monkeypatch) -> None:
    respelled: list[str] = []
    respell = keras_feed.respell_sign_off

    def spy(text, rng):
        respelled.append(text)
        return respell(text, rng)

    monkeypatch.setattr(keras_feed, "respell_sign_off", spy)
    train = split(60)
    val = LabelledTexts([t + " thanks ^ZZ" for t in train.texts[:12]], train.labels[:12])
    tiny = {"kind": "recurrent", "embedding_dim": 4, "units": 4, "epochs": 1, "batch_size": 16}
    build_model({**tiny, "sign_off_augment": 0.5}, seed=1, tokenizer=tokenizer).fit(train, val)
    assert len(respelled) == 30 * RESPELLINGS and set(respelled) == set(SIGNED)  # never a validation text
    with pytest.raises(Exception, match="sign_off_augment"):
        build_model({**tiny, "sign_off_augment": 1.5}, seed=1, tokenizer=tokenizer)
