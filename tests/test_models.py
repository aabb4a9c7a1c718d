"""Every model behind one interface: fit, predict_proba on raw text, save, load."""

import re
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from twcs_classifier.errors import PipelineError
from twcs_classifier.models import LabelledTexts, TextClassifier, build_model, load_model
from twcs_classifier.models.base import SHARED_PARAMS
from twcs_classifier.text import mask, normalise_many
from twcs_classifier.tokenizer import adapt_tokenizer, input_token_ngrams, network_inputs

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
    "epochs": 6,
    "batch_size": 16,
    "learning_rate": 0.02,
}


@pytest.fixture(scope="module")
def tokenizer():
    return adapt_tokenizer(normalise_many(data().texts), max_tokens=200, sequence_length=12, ngram_buckets=1024)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru"])
def test_recurrent_model_learns_exports_to_onnx_saves_and_takes_raw_strings(cell, tokenizer, tmp_path: Path) -> None:
    train, val = data(80, 0), data(20, 1)
    train = LabelledTexts(train.texts, train.labels, tokenizer.encode(train.texts, with_masked=True))
    model = build_model({**TINY_RNN, "cell": cell}, seed=1, tokenizer=tokenizer).fit(train, val)
    proba = model.predict_proba(["@Delta where is my bag", "@77 sorry, please DM us"])
    assert proba.shape == (2, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert proba[0, 1] > 0.5 > proba[1, 1]
    # The ONNX export (what is served) agrees with the trained Keras network.
    assert model.check_export(tokenizer.encode(val.texts)) <= 1e-5
    model.save(tmp_path / cell)
    assert {p.name for p in (tmp_path / cell).iterdir()} == {
        "model.json",
        "model.onnx",
        "tokenizer.json",
        "model.keras",
    }
    loaded = load_model(tmp_path / cell)
    np.testing.assert_allclose(loaded.predict_proba(val.texts), model.predict_proba(val.texts), atol=1e-12)
    assert loaded.tokenizer == tokenizer
    # It reads a text's first sequence_length (12) tokens and says so.
    assert loaded.max_tokens_read == model.max_tokens_read == 12


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


def steps(x: dict) -> list[list[tuple]]:
    """Network inputs resolved per text and step: (n-gram ids, word id) of each token read."""
    return [[(tuple(input_token_ngrams(x, p - 1)), int(x["words"][p - 1])) for p in row if p] for row in x["positions"]]


def test_the_stage_feeds_the_network_the_ids_serving_computes(tokenizer) -> None:
    texts = ["@Delta where is my bag", "ok", "@77 sorry to hear that, please DM us with your order ^JK " * 3]
    both = tokenizer.encode(texts, with_masked=True)  # as the clean_tokenize stage: one table for every text
    served = [steps(network_inputs(e.table, e.rows)) for e in (tokenizer.encode([t]) for t in texts)]
    assert steps(network_inputs(both.table, both.rows)) == [s[0] for s in served]
    masked = [steps(network_inputs(e.table, e.rows)) for e in (tokenizer.encode([mask(t)]) for t in texts)]
    assert steps(network_inputs(both.table, both.masked_rows)) == [s[0] for s in masked]
    assert len(steps(network_inputs(both.table, both.rows))[2]) == 12  # cut at the sequence length


def test_a_text_gets_the_same_probability_alone_or_in_any_batch(tokenizer) -> None:
    train, val = data(80, 0), data(20, 1)
    model = build_model({**TINY_RNN, "epochs": 2}, seed=1, tokenizer=tokenizer).fit(train, val)
    texts = ["@Delta where is my bag", "ok", "@77 sorry to hear that, please DM us with your order number ^JK " * 3]
    together = model.predict_proba(texts)
    alone = np.vstack([model.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-6)


@pytest.mark.parametrize("cell", ["gru", "lstm", "simple_rnn"])
@pytest.mark.parametrize("pooling", ["max", "last"])
def test_the_unmasked_recurrent_body_gives_what_masked_bidirectional_layers_give(cell, pooling) -> None:
    from twcs_classifier.models.keras_parts import MaskedGlobalMaxPooling1D
    from twcs_classifier.models.recurrent import RecurrentClassifier
    from twcs_classifier.runtime import keras

    k = keras()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5, 3)).astype("float32")
    real = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)
    layer = {"gru": k.layers.GRU, "lstm": k.layers.LSTM, "simple_rnn": k.layers.SimpleRNN}[cell]
    masked = k.layers.Bidirectional(layer(4, return_sequences=pooling == "max"))
    expected = masked(x, mask=real)
    if pooling == "max":
        expected = MaskedGlobalMaxPooling1D()(expected, real)
    body = RecurrentClassifier(cell=cell, pooling=pooling, units=4)
    inputs = k.Input((None, 3)), k.Input((None,), dtype="bool")
    network = k.Model(inputs, body._body(*inputs))
    network.get_layer(cell).set_weights(masked.forward_layer.get_weights())
    network.get_layer(f"{cell}_backward").set_weights(masked.backward_layer.get_weights())
    np.testing.assert_allclose(network([x, real]), expected, atol=1e-6)


def test_the_plain_word_level_design_is_a_choice_of_params(tokenizer) -> None:
    plain = {"char_ngrams": False, "word_embedding": True, "bidirectional": False, "pooling": "last"}
    model = build_model({**TINY_RNN, **plain, "epochs": 8}, seed=1, tokenizer=tokenizer).fit(data(80, 0), data(20, 1))
    names = [layer.name for layer in model.network.layers]
    assert "words_embedding" in names and "char_ngrams" not in names and "gru" in names
    assert "max_over_time" not in names
    proba = model.predict_proba(["@Delta where is my bag", "@77 sorry, please DM us"])
    assert proba[0, 1] > 0.5 > proba[1, 1]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pooling": "mean"}, "recurrent.pooling is 'mean', not one of: max, last"),
        ({"char_ngrams": False, "word_embedding": False}, "recurrent has no input"),
        ({"mask_augment": 1.5}, "recurrent.mask_augment"),
        ({"sign_off_augment": -0.1}, "recurrent.sign_off_augment"),
        ({"sign_off_augment": 1.01}, "recurrent.sign_off_augment"),
    ],
)
def test_recurrent_params_that_cannot_work_are_named(params, message) -> None:
    with pytest.raises(PipelineError, match=message):
        build_model({"kind": "recurrent", **params})


@pytest.mark.parametrize("share", [-0.5, 2.0])
def test_logreg_sign_off_augment_is_a_share(share: float) -> None:
    with pytest.raises(PipelineError, match="logreg.sign_off_augment"):
        build_model({"kind": "logreg", "sign_off_augment": share})


def test_logreg_respells_a_share_of_its_training_sign_offs_and_nothing_else(monkeypatch) -> None:
    from twcs_classifier.models import logreg

    calls: list[list[str]] = []
    respell_some = logreg.respell_some

    def spy(texts, share, rng):
        calls.append(list(texts))
        return respell_some(texts, share, rng)

    texts = (INBOUND + OUTBOUND) * 5  # "^JK" and "/GK" end two of the replies
    train, val = LabelledTexts(texts, np.array(([1] * 4 + [0] * 4) * 5)), data(20, 1)
    monkeypatch.setattr(logreg, "respell_some", spy)
    model = build_model({"kind": "logreg", "min_df": 1, "sign_off_augment": 1.0}, seed=0).fit(train, val)
    assert calls == [train.texts]  # the training split only, never validation
    vocabulary = set(model._vectorizers()[0][1].vocabulary_)
    assert "jk" not in vocabulary and "gk" not in vocabulary  # every sign-off respelled (share 1)
    assert model.predict_proba(["@5678 we are here to help"]).shape == (1, 2)
    calls.clear()
    build_model({"kind": "logreg", "min_df": 1, "sign_off_augment": 0.0}, seed=0).fit(train, val)
    assert calls == []


def test_a_model_section_may_set_its_own_seed() -> None:
    assert build_model({"kind": "logreg"}, seed=42).params["seed"] == 42
    assert build_model({"kind": "logreg", "seed": 7}, seed=42).params["seed"] == 7


@pytest.fixture(scope="module")
def saved_gru(tokenizer, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("saved") / "gru"
    build_model({**TINY_RNN, "epochs": 1}, seed=1, tokenizer=tokenizer).fit(data(40, 0), data(20, 1)).save(directory)
    return directory


def broken_copy(saved: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "gru"
    shutil.copytree(saved, target)
    return target


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "model.onnx").unlink(), r"has no model.onnx[\s\S]*How to fix"),
        (lambda d: (d / "tokenizer.json").unlink(), r"has no tokenizer.json[\s\S]*How to fix"),
        (
            lambda d: (d / "model.onnx").write_bytes((d / "model.onnx").read_bytes()[:1000]),
            r"model.onnx is not the file this model was saved with[\s\S]*How to fix",
        ),
        (
            lambda d: (d / "tokenizer.json").write_text(
                (d / "tokenizer.json").read_text().replace('"mask": false', '"mask": true')
            ),
            r"tokenizer.json is not the file this model was saved with",
        ),
    ],
)
def test_a_damaged_or_stale_model_directory_is_refused_with_the_file_and_the_fix(
    saved_gru, tmp_path, damage, message
) -> None:
    directory = broken_copy(saved_gru, tmp_path)
    damage(directory)
    with pytest.raises(PipelineError, match=message):
        load_model(directory)


def test_a_model_saved_before_onnx_serving_is_told_to_rebuild(saved_gru, tmp_path) -> None:
    import json

    directory = broken_copy(saved_gru, tmp_path)
    meta = json.loads((directory / "model.json").read_text())
    del meta["files"]
    (directory / "model.json").write_text(json.dumps(meta))
    (directory / "model.onnx").unlink()
    with pytest.raises(PipelineError, match=r"saved before models were served with ONNX Runtime[\s\S]*How to fix"):
        load_model(directory)


def record_hash(directory: Path, name: str) -> None:
    """Record the file's present hash in model.json: a consistent pair, but an old one."""
    import json

    from twcs_classifier.reading import sha256_file

    meta = json.loads((directory / "model.json").read_text())
    meta["files"][name] = sha256_file(directory / name)
    (directory / "model.json").write_text(json.dumps(meta))


def test_a_tokenizer_file_of_another_version_is_refused(saved_gru, tmp_path) -> None:
    import json

    directory = broken_copy(saved_gru, tmp_path)
    tok = json.loads((directory / "tokenizer.json").read_text())
    tok["format"] = 1
    (directory / "tokenizer.json").write_text(json.dumps(tok))
    record_hash(directory, "tokenizer.json")
    with pytest.raises(
        PipelineError, match=r"tokenizer file of format 1, this version reads format 2[\s\S]*How to fix"
    ):
        load_model(directory)


def test_a_network_with_another_input_layout_is_told_to_rebuild(saved_gru, tmp_path) -> None:
    import onnx

    directory = broken_copy(saved_gru, tmp_path)
    network = onnx.load(directory / "model.onnx")
    ngrams = next(i for i in network.graph.input if i.name == "ngrams")
    ngrams.type.tensor_type.shape.dim.add().dim_param = "G"  # the (U, G) grid of earlier versions
    onnx.save(network, directory / "model.onnx")
    record_hash(directory, "model.onnx")
    with pytest.raises(
        PipelineError, match=r"takes inputs this version does not make: ngrams \(2 dimensions\)[\s\S]*How to fix"
    ):
        load_model(directory)


def test_the_export_sums_n_grams_without_a_scatter_that_loses_updates(saved_gru) -> None:
    """onnxruntime's ScatterND with reduction="add" drops updates when its threads add to one
    row at once; the export sums each token's n-grams with a running sum instead."""
    import onnx

    ops = {node.op_type for node in onnx.load(saved_gru / "model.onnx").graph.node}
    assert "CumSum" in ops and not ops & {"ScatterND", "ScatterElements"}


def test_batches_run_side_by_side_give_exactly_the_logits_of_one_thread(saved_gru, monkeypatch) -> None:
    """Many batches run on as many threads as the process has cores; each text's logit is
    the one a single thread gives, whatever the threads' timing (texts of many lengths, so
    the batches differ in length)."""
    from concurrent.futures import ThreadPoolExecutor

    from twcs_classifier.models.onnx_network import OnnxNetwork, batched_logits

    network = load_model(saved_gru).served
    assert isinstance(network, OnnxNetwork)
    words = ["refund", "please", "we'll", "dm", "us", "order", "@user", "late", "^jk", "sorry"]
    texts = [" ".join(words[(i + j) % len(words)] for j in range(i % 37)) for i in range(300)]
    encoded = network.tokenizer.encode(texts)
    one_thread = batched_logits(encoded, network.run, batch=16)
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert np.array_equal(batched_logits(encoded, network.run, batch=16, pool=pool), one_thread)
    monkeypatch.setenv("TWCS_THREADS", "3")
    assert np.array_equal(network.logits_of(encoded, batch=16), one_thread)


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_thread_count_that_is_not_a_whole_number_is_named(value, monkeypatch) -> None:
    from twcs_classifier.runtime import cores

    monkeypatch.setenv("TWCS_THREADS", value)
    message = f"TWCS_THREADS must be a whole number of threads, at least 1; it is '{value}'"
    with pytest.raises(ValueError, match=re.escape(message)):
        cores()
    monkeypatch.setenv("TWCS_THREADS", "2")
    assert cores() == 2
    monkeypatch.delenv("TWCS_THREADS")
    assert cores() >= 1


def test_a_model_card_of_the_served_pair_names_the_runtime(saved_gru) -> None:
    import json

    meta = json.loads((saved_gru / "model.json").read_text())
    assert meta["serving"]["runtime"] == "onnxruntime" and meta["serving"]["onnxruntime"]
    assert set(meta["files"]) == {"model.onnx", "tokenizer.json"}


def test_a_kind_is_found_by_its_module_name_without_importing_it() -> None:
    import json
    import subprocess
    import sys

    from twcs_classifier.models import _declares_kind, known_kinds

    assert known_kinds() == ("logreg", "recurrent")
    assert _declares_kind('class CNN(KerasClassifier):\n    kind: ClassVar[str] = "cnn"\n', "cnn")
    assert _declares_kind('class CNN:\n    kind = "cnn"\n', "cnn")
    assert not _declares_kind("class Base:\n    kind: ClassVar[str]\n", "base")
    assert not _declares_kind('kind = "helper"\n', "helper")  # a class must declare it
    with pytest.raises(PipelineError, match=r"model kind 'keras_model' is unknown[\s\S]*logreg, recurrent"):
        build_model({"kind": "keras_model"})
    listing = (
        "import json, sys; from twcs_classifier.models import known_kinds; known_kinds(); "
        "print(json.dumps(list(sys.modules)))"
    )
    imported = subprocess.run([sys.executable, "-c", listing], capture_output=True, text=True, check=True).stdout
    assert not {"sklearn", "tensorflow", "twcs_classifier.models.logreg"} & set(json.loads(imported))


def test_n_grams_need_a_tokenizer_that_makes_them() -> None:
    words_only = adapt_tokenizer(["a b"], max_tokens=10, sequence_length=4, char_ngram_max=0)
    with pytest.raises(PipelineError, match=r"clean_tokenize.char_ngram_max is 0"):
        build_model({"kind": "recurrent"}, tokenizer=words_only)
    assert build_model({"kind": "recurrent", "word_embedding": True}, tokenizer=words_only)


def test_serving_every_kind_imports_neither_tensorflow_nor_keras(saved_gru, tmp_path: Path) -> None:
    """Loading, predicting and explaining with each kind of model, in a fresh process, leaves
    TensorFlow and Keras unimported (they train; onnxruntime and skops serve)."""
    import subprocess
    import sys

    build_model({"kind": "logreg", "min_df": 1}, seed=0).fit(data(40)).save(tmp_path / "logreg")
    script = (
        "import sys\n"
        "from twcs_classifier import inference, serving, user_csv\n"
        "from twcs_classifier.models import load_model\n"
        "for d in sys.argv[1:]:\n"
        "    m = load_model(d)\n"
        "    assert inference.predict(m, ['@Delta where is my bag'])[0].label\n"
        "    assert inference.explain(m, '@77 sorry, please DM us ^JK')\n"
        "print(sorted({k.split('.')[0] for k in sys.modules} & {'tensorflow', 'keras', 'tf2onnx'}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(saved_gru), str(tmp_path / "logreg")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
