"""Every model behind one interface: fit, predict_proba on raw text, save, load."""

from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from twcs_classifier.errors import PipelineError
from twcs_classifier.models import LabelledTexts, TextClassifier, build_model, load_model, model_class
from twcs_classifier.models.base import SHARED_PARAMS
from twcs_classifier.runtime import tensorflow
from twcs_classifier.text import normalise_many
from twcs_classifier.tokenizer import adapt_tokenizer

INBOUND = [
    "@AmazonHelp my order is late",
    "@Delta where is my bag",
    "my phone broke again @AppleSupport",
    "why is my bill so high",
]
OUTBOUND = [
    "@1234 sorry to hear that, please DM us ^JK",
    "@5678 we are here to help /GK",
    "@99 thanks for reaching out, DM us",
    "@42 let us look into this for you",
]


def data(n: int = 60, seed: int = 0) -> LabelledTexts:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        label = i % 2
        pool = INBOUND if label else OUTBOUND
        texts.append(f"{pool[rng.integers(len(pool))]} {rng.integers(1000)}")
        labels.append(label)
    return LabelledTexts(texts, np.array(labels))


TINY_RNN = {
    "kind": "recurrent",
    "embedding_dim": 8,
    "units": 8,
    "ngram_buckets": 1024,
    "epochs": 6,
    "batch_size": 16,
    "learning_rate": 0.02,
}


@pytest.fixture(scope="module")
def tokenizer():
    return adapt_tokenizer(normalise_many(data().texts), max_tokens=200, sequence_length=12)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru"])
def test_recurrent_model_learns_saves_and_takes_raw_strings(cell, tokenizer, tmp_path: Path) -> None:
    train, val = data(80, 0), data(20, 1)
    train = LabelledTexts(train.texts, train.labels, tokenizer.encode(normalise_many(train.texts)))
    model = build_model({**TINY_RNN, "cell": cell}, seed=1, tokenizer=tokenizer).fit(train, val)
    proba = model.predict_proba(["@Delta where is my bag", "@77 sorry, please DM us"])
    assert proba.shape == (2, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert proba[0, 1] > 0.5 > proba[1, 1]
    # The exported raw-string model (normalising in TensorFlow) agrees with the trained
    # network on text normalised in Python.
    np.testing.assert_allclose(
        model.predict_proba(val.texts), model.predict_proba_clean(normalise_many(val.texts)), atol=1e-5
    )
    model.save(tmp_path / cell)
    loaded = load_model(tmp_path / cell)
    np.testing.assert_allclose(loaded.predict_proba(val.texts), model.predict_proba(val.texts), atol=1e-6)
    # The .keras file carries the temperature: on raw strings it gives the served probabilities.
    keras_model = loaded.model
    assert keras_model.get_layer("temperature").scale == pytest.approx(1.0 / loaded.params["temperature"])
    served = keras_model(tensorflow().constant(val.texts)[:, None], training=False).numpy().reshape(-1)
    np.testing.assert_allclose(served, loaded.predict_proba(val.texts)[:, 1], atol=1e-5)
    scores = loaded.token_importance("@Delta where is my bag")
    assert [t for t, _ in scores] == ["@delta", "where", "is", "my", "bag"]
    # It reads a text's first sequence_length (12) tokens and says so; later ones score 0.
    assert loaded.max_tokens_read == model.max_tokens_read == 12
    long = loaded.token_importance(" ".join(f"word{i}" for i in range(20)))
    assert len(long) == 20 and all(score == 0.0 for _, score in long[12:]) and any(s for _, s in long[:12])


def test_recurrent_training_is_repeatable(tokenizer) -> None:
    train, val = data(60, 0), data(20, 1)
    a = build_model({**TINY_RNN, "cell": "gru", "epochs": 2}, seed=5, tokenizer=tokenizer).fit(train, val)
    b = build_model({**TINY_RNN, "cell": "gru", "epochs": 2}, seed=5, tokenizer=tokenizer).fit(train, val)
    np.testing.assert_array_equal(a.predict_proba(val.texts), b.predict_proba(val.texts))


def test_logreg_learns_saves_with_skops_and_explains(tmp_path: Path) -> None:
    model = build_model({"kind": "logreg", "min_df": 1}, seed=0).fit(data(60))
    proba = model.predict_proba(["@Delta where is my bag", "@77 sorry, please DM us"])
    assert proba[0, 1] > 0.5 > proba[1, 1]
    model.save(tmp_path / "lr")
    assert (tmp_path / "lr" / "model.skops").exists()
    loaded = load_model(tmp_path / "lr")
    np.testing.assert_array_equal(loaded.predict_proba(data(10, 3).texts), model.predict_proba(data(10, 3).texts))
    scores = dict(loaded.token_importance("please DM us my bag"))
    assert scores["my"] > 0 > scores["us"]
    assert loaded.max_tokens_read is None  # it reads every token


def test_empty_input_gives_empty_output() -> None:
    model = build_model({"kind": "logreg", "min_df": 1}, seed=0).fit(data(40))
    assert model.predict_proba([]).shape == (0, 2)


def test_non_string_input_is_named() -> None:
    model = build_model({"kind": "logreg", "min_df": 1}, seed=0).fit(data(40))
    with pytest.raises(TypeError, match="text #1"):
        model.predict_proba(["fine", 3])


def test_unknown_kind_and_unknown_params_are_errors() -> None:
    with pytest.raises(PipelineError, match="model kind 'svm' is unknown"):
        build_model({"kind": "svm"})
    with pytest.raises(PipelineError, match=r"logreg.alpha is not a known key[\s\S]*takes: C, word_ngram_max"):
        build_model({"kind": "logreg", "alpha": 1})
    with pytest.raises(PipelineError, match="recurrent.cell is 'transformer', not one of: simple_rnn, lstm, gru"):
        build_model({"kind": "recurrent", "cell": "transformer"})
    with pytest.raises(PipelineError, match="recurrent.units is 'sixty', not a whole number >= 1"):
        build_model({"kind": "recurrent", "units": "sixty"})
    with pytest.raises(PipelineError, match="logreg.char_ngram_min .6. is above"):
        build_model({"kind": "logreg", "char_ngram_min": 6})


class Keyword(TextClassifier):
    """A model with one param: log-odds +strength for texts holding "help", else -strength."""

    kind = "keyword"
    defaults = {"strength": 2.0}

    def __init__(self, **params) -> None:
        super().__init__(**params)
        self.passes = 0

    def _fit(self, train: LabelledTexts, validation: LabelledTexts | None) -> None:
        pass

    def logits(self, texts: list[str]) -> np.ndarray:
        self.passes += 1
        return np.array([self.params["strength"] * (1 if "help" in t else -1) for t in texts], dtype=float)

    def _save_files(self, directory: Path) -> None:
        pass

    @classmethod
    def _load_files(cls, directory: Path, params: dict) -> "Keyword":
        return cls(**params)


def test_the_base_class_owns_params_their_check_and_temperature_scaling() -> None:
    assert Keyword(strength=3.0).params == {"strength": 3.0, **SHARED_PARAMS}
    with pytest.raises(PipelineError, match=r"keyword.beta is not a known key[\s\S]*takes: strength"):
        Keyword(beta=1)
    with pytest.raises(PipelineError, match=r"keyword.strength is 'strong', not a number"):
        Keyword(strength="strong")
    assert Keyword(strength=3).params["strength"] == 3.0  # a whole number is a number
    texts = ["help me", "help", "thanks", "ok", "help please", "bye"]
    labels = np.array([1, 0, 0, 0, 1, 1])  # right 4 times in 6: over-confident at strength 2
    model = Keyword().fit(LabelledTexts(texts, labels), LabelledTexts(texts, labels))
    assert model.params["temperature"] > 1.0
    model.passes = 0
    proba = model.probabilities(texts)
    assert model.passes == 1  # calibrated and uncalibrated from one pass
    np.testing.assert_allclose(proba.calibrated, model.predict_proba(texts))
    np.testing.assert_allclose(proba.uncalibrated[:, 1], expit(model.logits(texts)))
    np.testing.assert_allclose(proba.calibrated[:, 1], expit(model.logits(texts) / model.params["temperature"]))
    assert (
        Keyword(calibrate=False).fit(LabelledTexts(texts, labels), LabelledTexts(texts, labels)).params["temperature"]
        == 1.0
    )
    assert model.probabilities([]).calibrated.shape == (0, 2)


def test_each_kind_explains_its_word_scores() -> None:
    assert "coefficient" in model_class("logreg").importance_explanation
    assert "left out" in model_class("recurrent").importance_explanation


def test_loading_without_a_model_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"no trained model[\s\S]*make run"):
        load_model(tmp_path)


def test_skops_file_with_foreign_types_is_refused(tmp_path: Path, monkeypatch) -> None:
    model = build_model({"kind": "logreg", "min_df": 1}, seed=0).fit(data(40))
    model.save(tmp_path / "lr")
    import skops.io as sio

    monkeypatch.setattr(sio, "get_untrusted_types", lambda file: ["os.system"])
    with pytest.raises(PipelineError, match="does not trust: os.system"):
        load_model(tmp_path / "lr")


def test_length_buckets_cover_every_tweet_once_and_group_similar_lengths() -> None:
    from twcs_classifier.models.recurrent import BUCKET_BOUNDARIES, RecurrentClassifier

    tokenizer = adapt_tokenizer(["w"], max_tokens=10, sequence_length=64)
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 31, size=500).astype(np.int32)
    texts = [" ".join(["w"] * int(n)) for n in lengths]
    labels = np.arange(500, dtype=np.float32)  # the label identifies the row
    model = RecurrentClassifier(batch_size=32, bucket_by_length=True, tokenizer=tokenizer)
    ds = model._dataset(texts, lengths, labels, shuffle=True)
    seen, batches = [], 0
    for x, y in ds:
        batches += 1
        rows = y.numpy().astype(int)
        assert x.shape == (len(rows), 1)
        assert [t.decode() for t in x.numpy()[:, 0]] == [texts[r] for r in rows]
        # One bucket per batch: every length falls between the same two boundaries.
        assert len(set(np.searchsorted(BUCKET_BOUNDARIES, lengths[rows], side="right"))) == 1
        seen += rows.tolist()
    assert sorted(seen) == list(range(500))
    assert batches == int(ds.cardinality())
    plain = RecurrentClassifier(batch_size=32, bucket_by_length=False, tokenizer=tokenizer)
    assert [int(y.numpy()[0]) for _, y in plain._dataset(texts, lengths, labels, False)] == list(range(0, 500, 32))


def test_mask_augment_masks_about_that_share_afresh_each_epoch(tokenizer) -> None:
    from twcs_classifier.models.recurrent import RecurrentClassifier

    texts = [f"@Brand{i} my order 12345 is late" for i in range(400)]
    labels = np.arange(400, dtype=np.float32)
    lengths = np.full(400, 6, dtype=np.int32)

    def masked_rows(model, ds) -> set[int]:
        rows = set()
        for x, y in ds:
            rows |= {int(r) for t, r in zip(x.numpy()[:, 0], y.numpy()) if t.decode().startswith("@user")}
        return rows

    model = RecurrentClassifier(batch_size=50, mask_augment=0.3, seed=3, tokenizer=tokenizer)
    ds = model._dataset(texts, lengths, labels, shuffle=True)
    first, second = masked_rows(model, ds), masked_rows(model, ds)
    assert 80 < len(first) < 160 and 80 < len(second) < 160 and first != second
    again = RecurrentClassifier(batch_size=50, mask_augment=0.3, seed=3, tokenizer=tokenizer)
    assert masked_rows(again, again._dataset(texts, lengths, labels, shuffle=True)) == first  # seeded
    assert not masked_rows(model, model._dataset(texts, lengths, labels, shuffle=False))  # never in validation


def test_a_text_gets_the_same_probability_alone_or_in_any_batch(tokenizer) -> None:
    train, val = data(80, 0), data(20, 1)
    model = build_model({**TINY_RNN, "epochs": 2}, seed=1, tokenizer=tokenizer).fit(train, val)
    texts = ["@Delta where is my bag", "ok", "@77 sorry to hear that, please DM us with your order number ^JK " * 3]
    together = model.predict_proba(texts)
    alone = np.vstack([model.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_the_plain_word_level_design_is_a_choice_of_params(tokenizer) -> None:
    plain = {"char_ngram_max": 0, "word_embedding": True, "bidirectional": False, "pooling": "last"}
    model = build_model({**TINY_RNN, **plain, "epochs": 8}, seed=1, tokenizer=tokenizer).fit(data(80, 0), data(20, 1))
    names = [layer.name for layer in model.network.layers]
    assert "words" in names and "char_ngrams" not in names and "gru" in names and "max_over_time" not in names
    proba = model.predict_proba(["@Delta where is my bag", "@77 sorry, please DM us"])
    assert proba[0, 1] > 0.5 > proba[1, 1]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pooling": "mean"}, "recurrent.pooling is 'mean', not one of: max, last"),
        ({"char_ngram_max": 0, "word_embedding": False}, "recurrent has no input"),
        ({"char_ngram_min": 4, "char_ngram_max": 3}, r"recurrent.char_ngram_min \(4\) is above"),
        ({"mask_augment": 1.5}, "recurrent.mask_augment"),
    ],
)
def test_recurrent_params_that_cannot_work_are_named(params, message) -> None:
    with pytest.raises(PipelineError, match=message):
        build_model({"kind": "recurrent", **params})


def test_a_model_section_may_set_its_own_seed() -> None:
    assert build_model({"kind": "logreg"}, seed=42).params["seed"] == 42
    assert build_model({"kind": "logreg", "seed": 7}, seed=42).params["seed"] == 7
