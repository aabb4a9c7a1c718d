"""The Streamlit app (app.py and its pages in app_pages/) driven by Streamlit's AppTest, on
the models of a real `dvc repro` (the ``built_project`` fixture) and on a project with no
models at all.

Every page is here: one tweet (label, the probability line, highlighted words and which the
model read, examples, every trained model, a result cleared when the text changes), a CSV
(a model chooser, progress, counts, download, a label column's accuracy, sorting and
filtering by confidence, 100k rows), the Models page (the compare table, charts per
condition, confusion matrices), the Mistakes page, and every bad input.
"""

from __future__ import annotations

import io
import re
import resource
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from conftest import MODELS, REAL_SAMPLE
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from twcs_classifier import LABEL_TEXT, app_tables, app_tweet, artifacts, inference, serving, user_csv
from twcs_classifier.compare import pair_rows
from twcs_classifier.csv_output import escape_formula
from twcs_classifier.evaluation import CONDITIONS
from twcs_classifier.layout import Layout
from twcs_classifier.metrics import classification_metrics
from twcs_classifier.models import load_model

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
TIMEOUT = 180  # loading a TensorFlow model on two cores takes a while
TWEET = "@AmazonHelp my order was due yesterday and the tracking has not moved in 4 days, where is it?"
UPLOAD_CAP_MB = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
PAGE_FILES = {
    "One tweet": "app_pages/one_tweet.py",
    "A CSV": "app_pages/csv_file.py",
    "Models": "app_pages/models.py",
    "Mistakes": "app_pages/mistakes.py",
}


# -- fixtures and helpers --------------------------------------------------------------------------
@pytest.fixture
def project(built_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app reads the built project's models/, metrics/ and plots/."""
    monkeypatch.setenv("TWCS_PROJECT_DIR", str(built_project))
    return built_project


@pytest.fixture(scope="module")
def selected_model(built_project: Path):
    """The selected model, loaded here through the serving path, to check the page against."""
    return inference.load_selected(built_project / "models" / "selected")


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """What the app hands to download buttons, by file name (AppTest has no browser to save it)."""
    saved: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if filename is not None and isinstance(path_or_data, bytes):
            saved[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return saved


def open_app(page: str = "One tweet") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    if page != "One tweet":
        at.switch_page(PAGE_FILES[page]).run()
        assert not at.exception, at.exception
    return at


def predict(at: AppTest, text: str) -> AppTest:
    at.text_area(key="tweet").input(text)
    at.button(key="predict").click().run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> dict[str, str]:
    """The prediction on the page: the label and the probability line."""
    assert len(at.subheader) == 1, "no prediction on the page"
    lines = [m.value for m in at.markdown if "customer query" in m.value and "company reply" in m.value]
    assert len(lines) == 1, lines
    return {"label": at.subheader[0].value, "probabilities": lines[0]}


def shown_text(markdown: str) -> str:
    """A Markdown source as the reader sees its text: backslash escapes (what
    :func:`~twcs_classifier.app_text.md_text` adds to a user's strings) and hard breaks removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown.replace("  \n", "\n"))


def messages(elements) -> str:
    """The text of the given elements as the page shows it."""
    return "\n".join(shown_text(e.value) for e in elements)


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="csv_upload").set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def label_csv(at: AppTest) -> AppTest:
    at.button(key="label_csv").click().run()
    assert not at.exception, at.exception
    return at


COUNTS = ("Rows", LABEL_TEXT["inbound"], LABEL_TEXT["outbound"], "Rows without text")


def counts(at: AppTest) -> dict[str, int]:
    """The class counts of a labelled CSV (not the figures against a label column)."""
    return {m.label: int(m.value.replace(",", "")) for m in at.metric if m.label in COUNTS}


def selectbox(at: AppTest, label: str):
    return next(box for box in at.selectbox if box.label == label)


def check_prediction(at: AppTest, model, text: str) -> None:
    """The page shows what the serving path predicts for ``text``."""
    expected = inference.predict(model, [text])[0]
    page = shown(at)
    assert page["label"] == expected.label_text
    assert page["probabilities"] == app_tweet.probability_line(expected.label, expected.p_inbound)


def highlight(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "twcs-highlight" in m.value)


# -- no model yet -------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", list(PAGE_FILES))
def test_without_models_every_page_says_how_to_build_them(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWCS_PROJECT_DIR", str(tmp_path))
    at = open_app(page)
    assert "dvc repro" in messages(at.error)
    assert not at.text_area and not at.file_uploader


# -- one tweet -------------------------------------------------------------------------------------------
def test_every_page_has_its_own_url_and_a_link_on_every_page(project: Path) -> None:
    at = open_app()
    links = {link.value: link.proto.page for link in at.get("page_link")}
    assert list(links) == list(PAGE_FILES)
    assert len(set(links.values())) == len(PAGE_FILES)
    for page in PAGE_FILES:
        at = open_app(page)
        assert [link.value for link in at.get("page_link")] == list(PAGE_FILES)
        assert not at.sidebar.children, "nothing in the sidebar (a phone would have to open it)"
        assert str(project) not in "\n".join(m.value for m in [*at.markdown, *at.caption])


def test_one_tweet_shows_label_probabilities_and_highlighted_words(project: Path, selected_model) -> None:
    at = predict(open_app(), TWEET)
    check_prediction(at, selected_model, TWEET)
    page = shown(at)
    assert page["label"] in LABEL_TEXT.values()
    assert "%" in page["probabilities"] and "P(" not in page["probabilities"]

    scores = selected_model.token_importance(TWEET)
    assert highlight(at) == app_tweet.highlight_html(scores)
    assert highlight(at).count('class="twcs-token') == len(scores) > 5
    assert "twcs-unread" not in highlight(at)  # a tweet is read whole
    assert selected_model.importance_explanation in messages(at.caption)
    assert f"{inference.MAX_TEXT_CHARS:,} characters" in messages(at.caption)


def test_an_edited_text_clears_the_old_result(project: Path, selected_model) -> None:
    at = predict(open_app(), TWEET)
    check_prediction(at, selected_model, TWEET)
    at.text_area(key="tweet").input("@123 Sorry about that, please DM us ^JK").run()
    assert not at.subheader and "twcs-highlight" not in messages(at.markdown)  # the old result is gone
    assert "The text has changed since the last prediction" in messages(at.info)
    at.button(key="predict").click().run()
    check_prediction(at, selected_model, "@123 Sorry about that, please DM us ^JK")
    assert not at.info


def test_the_model_is_loaded_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app_pages.common as common

    st.cache_resource.clear()
    calls = []
    original = common.load_model
    monkeypatch.setattr(common, "load_model", lambda d: calls.append(d) or original(d))
    predict(open_app(), TWEET)
    predict(open_app(), "@sprintcare thanks!")  # a second session
    assert calls == [str(project / "models" / "selected")]


@pytest.mark.parametrize("example", app_tweet.EXAMPLE_TWEETS, ids=lambda e: e.title)
def test_an_example_is_labelled_with_one_click(project: Path, selected_model, example) -> None:
    at = open_app()
    at.button(key=f"example_{example.title}").click().run()
    assert not at.exception
    assert at.text_area(key="tweet").value == example.text
    check_prediction(at, selected_model, example.text)


def test_the_selected_model_is_the_default_and_every_trained_model_can_be_tried(project: Path) -> None:
    at = open_app()
    picker = at.selectbox(key="model_choice")
    assert picker.value == "selected"
    assert picker.options == [f"selected ({_card_model(project)})", *MODELS]
    for name in MODELS:
        at.selectbox(key="model_choice").set_value(name).run()
        predict(at, TWEET)
        model = load_model(project / "models" / name)
        check_prediction(at, model, TWEET)
        assert model.importance_explanation in messages(at.caption)


def _card_model(project: Path) -> str:
    return artifacts.read_json_or_none(project / "models" / "selected" / "model_card.json")["model"]


# -- bad input on the one-tweet page ------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "   \n\t  "], ids=["empty", "whitespace"])
def test_empty_text_gets_a_message_not_a_prediction(project: Path, selected_model, text: str) -> None:
    at = predict(open_app(), text)
    assert "nothing to label" in messages(at.warning)
    assert not at.subheader and "twcs-highlight" not in messages(at.markdown)
    check_prediction(predict(at, TWEET), selected_model, TWEET)  # and the app keeps working


def test_a_10000_character_text_is_cut_and_the_words_read_are_shown(project: Path, selected_model) -> None:
    text = ("@AmazonHelp where is my parcel? " * 400)[:10_000]
    at = predict(open_app(), text)
    cut = text[: inference.MAX_TEXT_CHARS]
    check_prediction(at, selected_model, cut)
    words = inference.explain_words(selected_model, cut)
    scores, read = words.pairs(), words.read
    limit = selected_model.max_tokens_read
    assert limit is not None and len(scores) > read  # the served GRU reads a text's first tokens only
    assert sum(map(len, words.words[:read])) >= limit > sum(map(len, words.words[: read - 1]))
    notice = messages(at.info)
    assert f"has 10,000 characters: only its first {inference.MAX_TEXT_CHARS:,} went to the model" in notice
    assert f"first {limit} tokens (a word's punctuation counts apart): " in notice
    assert f"it read {read} of these {len(scores):,} words" in notice
    shown_html = highlight(at)
    assert shown_html == app_tweet.highlight_html(scores, read)
    assert shown_html.count("twcs-unread") == len(scores) - read and "the model stops reading here" in shown_html
    check_prediction(predict(at, TWEET), selected_model, TWEET)
    assert not at.info


def test_a_model_that_reads_every_word_says_nothing_of_the_kind(project: Path) -> None:
    text = "@AmazonHelp where is my parcel? " * 40
    at = open_app()
    at.selectbox(key="model_choice").set_value("logreg").run()
    at = predict(at, text)
    assert not at.info and "twcs-unread" not in highlight(at)


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("😀😡🙏🙏", "no letters or digits"),
        ("@AmazonHelp Mi pedido no ha llegado todavía, ¿dónde está?", None),
        ("@AppleSupport 我的 iPhone 无法充电，怎么办？", None),
        ("<script>alert('x')</script> **bold** $5 :smile:", None),
    ],
    ids=["emoji-only", "spanish", "chinese", "markup"],
)
def test_odd_text_gets_a_sensible_prediction(project: Path, selected_model, text: str, note: str | None) -> None:
    at = predict(open_app(), text)
    check_prediction(at, selected_model, text)
    if note:
        assert note in messages(at.info)
    assert "<script>" not in highlight(at)
    check_prediction(predict(at, TWEET), selected_model, TWEET)


# -- a CSV ------------------------------------------------------------------------------------------------
SMALL_CSV = pd.DataFrame(
    {
        "tweet_id": ["1", "2", "3", "4", "5"],
        "author_id": ["115712", "sprintcare", "115712", "AppleSupport", "115713"],
        "text": [
            "@AcmeMobile and how exactly am I meant to do that",
            "@424242 I see. We would like to help you. Please send us a DM.",
            "",
            "@134567 We're here for you. Which iOS version are you running?",
            "@AppleSupport my phone\rkeeps restarting,\nwhat do I do?",  # line breaks inside a text
        ],
    }
)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A CSV as a spreadsheet writes it (CRLF rows, so texts holding line breaks are quoted)."""
    return frame.to_csv(index=False, lineterminator="\r\n").encode()


def test_a_csv_is_labelled_with_progress_preview_counts_and_download(
    project: Path, selected_model, downloads: dict[str, bytes]
) -> None:
    at = open_app("A CSV")
    # The cap Streamlit enforces (config.toml's, when the app runs from the repo; the
    # browser test checks that number on the real page).
    assert f"of at most {st.get_option('server.maxUploadSize')} MB" in messages(at.caption)
    assert selectbox(at, "Model").value == "selected"
    at = upload(at, "tweets.csv", csv_bytes(SMALL_CSV))
    column = selectbox(at, "Text column")
    assert at.selectbox(key="csv_encoding").value == "utf-8"
    assert column.value == "text" and column.options == ["author_id", "text"]
    assert selectbox(at, "Label column (optional)").value == "(none)"
    at = label_csv(at)
    assert at.progress[0].value == 100
    assert at.progress[0].proto.text == "Labelled 4 of 5 rows; 1 had no text."  # one row is blank
    assert "Labelled 4 of 5 rows; 1 had no text." in messages(at.caption)
    assert at.subheader[0].value == f"Labelled by selected ({_card_model(project)})"

    frame = user_csv.read_csv_upload(io.BytesIO(csv_bytes(SMALL_CSV)))
    table = serving.predict_dataframe(selected_model, frame, "text")
    expected, want = table.frame, table.counts
    assert counts(at) == {
        "Rows": 5,
        LABEL_TEXT["inbound"]: want["inbound"],
        LABEL_TEXT["outbound"]: want["outbound"],
        "Rows without text": 1,
    }
    rows = at.dataframe[0].value  # the rows with a prediction, in file order
    assert rows["row"].tolist() == [1, 2, 4, 5] and rows["text"].tolist() == SMALL_CSV["text"].drop(2).tolist()
    # Shown to 4 decimals, never 0 or 1 (as the command line prints them); the download has every digit.
    assert rows["confidence"].tolist() == inference.shown_probability(expected["confidence"].drop(2)).tolist()
    assert "4 of 5 rows" in messages(at.caption)

    button = at.download_button(key="download_csv")
    assert button.proto.url and button.proto.ignore_rerun  # served; clicking it does not rerun the app
    assert sorted(downloads) == ["tweets_labelled.csv", "tweets_labelled_spreadsheet.csv"]
    got = pd.read_csv(io.BytesIO(downloads["tweets_labelled.csv"]), dtype=str, keep_default_na=False)
    # The download for programs is exact: every input column as the file had it.
    for column in SMALL_CSV.columns:
        assert got[column].tolist() == frame[column].tolist(), column
    assert got["text"][0] == "@AcmeMobile and how exactly am I meant to do that"
    # The one for a spreadsheet escapes what a spreadsheet would run (a text starting with @).
    safe = pd.read_csv(io.BytesIO(downloads["tweets_labelled_spreadsheet.csv"]), dtype=str, keep_default_na=False)
    assert safe["text"].tolist() == [escape_formula(t) for t in frame["text"]]
    assert safe["text"][0] == "'@AcmeMobile and how exactly am I meant to do that"
    got = pd.read_csv(io.BytesIO(downloads["tweets_labelled.csv"]), dtype={"tweet_id": str, "author_id": str})
    assert got["predicted_label"].fillna("").tolist() == expected["predicted_label"].fillna("").tolist()
    assert got["p_inbound"].tolist() == pytest.approx(expected["p_inbound"].tolist(), nan_ok=True)
    assert got["p_outbound"].tolist() == pytest.approx(expected["p_outbound"].tolist(), nan_ok=True)
    assert pd.isna(got.loc[2, "predicted_label"])


def test_a_latin1_csv_needs_its_encoding_and_is_written_back_as_utf8(
    project: Path, downloads: dict[str, bytes]
) -> None:
    data = 'text,x\n"@SNCF Où est mon train? Très déçu, ça fait 2 h",1\n"Merci, à bientôt",2\n'
    at = upload(open_app("A CSV"), "français.csv", data.encode("latin-1"))
    assert "not valid utf-8: byte 0xf9 at line 2, byte 9" in messages(at.error)  # nothing garbled silently
    assert "Encoding box" in messages(at.error) and "--encoding" not in messages(at.error)  # the app's fix
    at.selectbox(key="csv_encoding").set_value("latin-1").run()
    at = label_csv(at)
    assert not at.error and counts(at)["Rows"] == 2
    got = pd.read_csv(io.BytesIO(downloads["français_labelled.csv"]))
    assert got["text"].tolist() == ["@SNCF Où est mon train? Très déçu, ça fait 2 h", "Merci, à bientôt"]
    assert set(got["predicted_label"]) <= {"inbound", "outbound"}


def test_a_csv_with_a_label_column_gets_accuracy_confusion_and_per_class_figures(project: Path, selected_model) -> None:
    sample = pd.read_csv(REAL_SAMPLE, dtype=str, keep_default_na=False, nrows=400)
    at = upload(open_app("A CSV"), "twcs_400.csv", csv_bytes(sample))
    assert selectbox(at, "Label column (optional)").value == "inbound"  # recognised by its name
    at = label_csv(at)
    frame = user_csv.read_csv_upload(io.BytesIO(csv_bytes(sample)))
    expected = serving.predict_dataframe(selected_model, frame, "text").frame
    want = classification_metrics((sample["inbound"] == "True").astype(int), expected["p_inbound"].to_numpy())
    figures = {m.label: m.value for m in at.metric}
    assert figures["Accuracy"] == app_tables.format_rate(round(want["accuracy"] * 400), 400)
    assert figures["F1 (macro)"] == f"{want['f1_macro']:.3f}" and figures["Rows scored"] == "400"
    matrix = at.table[0].value
    assert matrix.loc["actual inbound", "predicted inbound"].startswith(f"{want['confusion']['tp']:,} (")
    assert matrix.loc["actual outbound", "predicted inbound"].startswith(f"{want['confusion']['fp']:,} (")
    per_class = at.table[1].value
    assert per_class.loc[LABEL_TEXT["inbound"], "recall"] == pytest.approx(want["per_class"]["inbound"]["recall"])
    assert per_class.loc[LABEL_TEXT["outbound"], "support"] == want["per_class"]["outbound"]["support"]

    # Sorting and filtering by confidence, and only the mistakes.
    at.selectbox(key="csv_order").set_value("least confident first").run()
    rows = at.dataframe[-1].value
    assert rows["confidence"].is_monotonic_increasing and len(rows) == 400
    at.slider(key="csv_confidence").set_value((0.5, 0.9)).run()
    rows = at.dataframe[-1].value
    assert len(rows) == int((expected["confidence"] <= 0.9).sum()) and rows["confidence"].le(0.9).all()
    at.slider(key="csv_confidence").set_value((0.5, 1.0))
    at.checkbox(key="csv_only_wrong").check().run()
    rows = at.dataframe[-1].value
    assert len(rows) == want["confusion"]["fp"] + want["confusion"]["fn"]
    assert (rows["truth"] != rows["predicted_label"]).all()


def test_a_label_column_can_be_chosen_and_another_model_picked(project: Path) -> None:
    data = pd.DataFrame({"text": SMALL_CSV["text"].drop(2), "gold": ["inbound", "outbound", "outbound", "inbound"]})
    at = open_app("A CSV")
    at.selectbox(key="csv_model").set_value("logreg").run()
    at = upload(at, "gold.csv", csv_bytes(data))
    labels = selectbox(at, "Label column (optional)")
    assert labels.value == "(none)" and labels.options == ["(none)", "gold"]  # not named like one: not guessed
    labels.set_value("gold").run()
    at = label_csv(at)
    assert at.subheader[0].value == "Labelled by logreg"
    model = load_model(project / "models" / "logreg")
    expected = serving.predict_dataframe(model, user_csv.read_csv_upload(io.BytesIO(csv_bytes(data))), "text").frame
    want = classification_metrics(data["gold"].eq("inbound").astype(int), expected["p_inbound"].to_numpy())
    assert {m.label: m.value for m in at.metric}["Accuracy"] == app_tables.format_rate(round(want["accuracy"] * 4), 4)
    assert at.dataframe[-1].value["confidence"].tolist() == inference.shown_probability(expected["confidence"]).tolist()


def test_blank_cells_get_no_label_and_are_counted(project: Path, downloads: dict[str, bytes]) -> None:
    data = b"text,predicted_label\n@Delta where is my bag,mine\n   ,mine\n\t,mine\n"
    at = label_csv(upload(open_app("A CSV"), "blanks.csv", data))
    assert counts(at)["Rows without text"] == 2 and counts(at)["Rows"] == 3
    got = pd.read_csv(io.BytesIO(downloads["blanks_labelled.csv"]), keep_default_na=False)
    assert got["predicted_label"].tolist() == ["mine"] * 3  # the input column is kept
    assert got["predicted_label_1"].tolist()[1:] == ["", ""]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"text,n\nhello,1\nthere,2,3\n", "line 3 of ragged.csv has 3 fields"),
        (b"text,text\na,b\n", "'text' more than once"),
    ],
    ids=["ragged", "duplicate-header"],
)
def test_a_malformed_csv_names_the_line(project: Path, data: bytes, says: str) -> None:
    at = upload(open_app("A CSV"), "ragged.csv", data)
    assert says in messages(at.error)


def test_a_damaged_model_is_a_message_not_a_crash(built_project: Path, tmp_path: Path, monkeypatch) -> None:
    shutil.copytree(built_project / "models" / "selected", tmp_path / "models" / "selected")
    shutil.copy(REPO / "dvc.yaml", tmp_path / "dvc.yaml")
    # The file that is served: the ONNX network of a Keras model, the skops pipeline of logreg.
    damaged = next(p for p in (tmp_path / "models" / "selected").iterdir() if p.suffix in (".onnx", ".skops"))
    damaged.write_bytes(damaged.read_bytes()[:1000])
    monkeypatch.setenv("TWCS_PROJECT_DIR", str(tmp_path))
    st.cache_resource.clear()
    at = open_app()
    text = messages(at.error)
    assert f"models/selected/{damaged.name}" in text and "`dvc checkout select`" in text
    assert str(tmp_path) not in text  # no server path on the page
    assert not at.text_area


@pytest.mark.parametrize(
    ("name", "data", "kind", "says"),
    [
        ("numbers.csv", b"tweet_id,inbound\n1,True\n2,False\n", "error", "No column of numbers.csv holds text"),
        ("empty.csv", b"", "error", "empty.csv is empty"),
        ("blank.csv", b"\n  \n", "error", "blank.csv is empty"),
        ("header.csv", b"text,author_id\n", "warning", "has a header (text, author_id) but no rows"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "error", "binary data"),
    ],
    ids=["no-text-column", "empty", "blank", "header-only", "binary"],
)
def test_a_bad_csv_gets_a_message_and_the_app_keeps_working(
    project: Path, name: str, data: bytes, kind: str, says: str
) -> None:
    at = upload(open_app("A CSV"), name, data)
    assert says in messages(getattr(at, kind))
    assert not any(b.key == "label_csv" for b in at.button)
    at = label_csv(upload(at, "good.csv", csv_bytes(SMALL_CSV)))
    assert counts(at)["Rows"] == 5 and not at.error and not at.warning


def test_100k_rows_are_labelled(project: Path, downloads: dict[str, bytes]) -> None:
    sample = pd.read_csv(REAL_SAMPLE, dtype=str, keep_default_na=False)
    big = pd.concat([sample] * (100_000 // len(sample) + 1), ignore_index=True).head(100_000)
    data = csv_bytes(big)
    assert len(data) < UPLOAD_CAP_MB * 1024 * 1024  # 100k tweets fit under the stated cap
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    at = label_csv(upload(open_app("A CSV"), "twcs_100k.csv", data))
    grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"100k rows ({len(data) / 1e6:.1f} MB): peak memory grew by {grew_mb:.0f} MB")
    result = counts(at)
    assert result["Rows"] == 100_000
    assert result[LABEL_TEXT["inbound"]] + result[LABEL_TEXT["outbound"]] + result["Rows without text"] == 100_000
    figures = {m.label: m.value for m in at.metric}  # twcs.csv's inbound column is recognised as the labels
    assert figures["Rows scored"] == "100,000" and figures["Accuracy"].endswith("%")
    got = pd.read_csv(io.BytesIO(downloads["twcs_100k_labelled.csv"]), usecols=["tweet_id", "predicted_label"])
    assert len(got) == 100_000
    assert grew_mb < 4_000


# -- the Models page ------------------------------------------------------------------------------------------
def test_models_page_shows_the_compare_table_charts_per_condition_and_the_card(project: Path) -> None:
    at = open_app("Models")
    compare = artifacts.read_json_or_none(project / "metrics" / "compare.json")
    shown = [m.value for m in [*at.success, *at.warning]]  # compare's verdicts as compare worded them
    assert sorted(shown) == sorted([compare["verdict"], *compare["verdicts"].values()])
    for sentence in shown:  # a warning exactly where a model is significantly better than the selected one
        assert (sentence in [m.value for m in at.warning]) == sentence.startswith("Warning")
    # Every paired test, as compare.md lists it, and how to serve another model.
    assert at.dataframe[1].value.to_dict("records") == pair_rows(compare)
    assert any("select.model" in m.value and "dvc repro" in m.value for m in at.info)

    # First the compare table: every model in rank order, the served one marked.
    table = at.dataframe[0].value
    names = artifacts.compared_models(Layout(project))
    served = compare["selected"]
    assert table.index.tolist() == [f"{n} (served)" if n == served else n for n in names]
    for name, row in compare["models"].items():
        shown_row = table.loc[f"{name} (served)" if name == served else name]
        for condition, title in CONDITIONS.items():
            assert shown_row[f"{title}: accuracy"] == pytest.approx(row[condition]["accuracy"])
            assert shown_row[f"{title}: F1"] == pytest.approx(row[condition]["f1_macro"])

    # Per condition, a reliability diagram with the diagonal and bin counts; ROC and PR on the random split.
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert len(specs) == 5
    reliability = [spec for spec in specs if '"Reliability' in spec]
    assert len(reliability) == len(CONDITIONS)
    for spec in reliability:
        assert '"count"' in spec and "strokeDash" in spec and "[0.5, 1.0]" in spec.replace("[0.5,1.0]", "[0.5, 1.0]")
    assert sum('"fpr"' in spec for spec in specs) == 1 and sum('"precision"' in spec for spec in specs) == 1

    # A confusion matrix with counts and rates for every model under every condition, then the card.
    matrices = at.table[:-1]
    assert len(matrices) == len(names) * len(CONDITIONS)
    metrics = artifacts.load_metrics(Layout(project), names)
    for k, matrix in enumerate(matrices):
        condition, name = list(CONDITIONS)[k // len(names)], names[k % len(names)]
        counts = metrics[name][condition]["confusion"]
        assert matrix.value.equals(app_tables.confusion_display(counts))
        assert matrix.value.loc["actual inbound", "predicted inbound"].startswith(f"{counts['tp']:,} (")

    # The full metrics table, behind an expander.
    full = at.dataframe[2].value
    assert sorted(full.columns) == sorted(MODELS)
    layout = Layout(project)
    for name in MODELS:
        details = artifacts.read_json_or_none(layout.details_file(name))  # every number, not only the headline
        for key in ("accuracy", "f1_macro", "roc_auc", "average_precision", "log_loss", "n"):
            assert full.loc[f"test.{key}", name] == pytest.approx(details["test"][key])
        assert full.loc["validation.accuracy", name] == pytest.approx(details["validation"]["accuracy"])
        timing = artifacts.read_json_or_none(layout.timing_file(name))
        assert timing["train_seconds"] > 0
        assert full.loc["timing.train_seconds", name] == pytest.approx(timing["train_seconds"])
    assert any("Every metric" in e.label for e in at.expander)

    card = at.table[-1].value
    assert card.loc["model"].iloc[0] == _card_model(project)
    assert card.loc["paired verdict"].iloc[0] == compare["verdict"]
    assert at.json[0].value


# -- the Mistakes page ------------------------------------------------------------------------------------------
def test_mistakes_page_shows_the_most_confident_errors_highlighted_and_filterable(project: Path) -> None:
    at = open_app("Mistakes")
    served = _card_model(project)
    assert at.selectbox(key="mistakes_model").value == served
    mistakes = artifacts.read_mistakes(Layout(project), served)
    assert len(mistakes) and set(mistakes["condition"]) <= set(CONDITIONS)
    table = at.dataframe[0].value
    assert len(table) == len(mistakes) and table["confidence"].is_monotonic_decreasing
    assert set(table["condition"]) <= set(CONDITIONS.values())

    model = load_model(project / "models" / served)
    boxes = [m.value for m in at.markdown if "twcs-highlight" in m.value]
    top = app_tables.filter_mistakes(mistakes).head(len(boxes))
    assert len(boxes) == min(25, len(mistakes))
    explained = [inference.explain_words(model, t) for t in top["text"]]
    assert boxes == [app_tweet.highlight_html(e.pairs(), e.read) for e in explained]

    at.multiselect(key="mistakes_conditions").set_value(["test_masked"]).run()
    at.selectbox(key="mistakes_truth").set_value("inbound").run()
    table = at.dataframe[0].value if at.dataframe else pd.DataFrame(columns=["condition", "truth"])
    want = app_tables.filter_mistakes(mistakes, ["test_masked"], "inbound")
    assert len(table) == len(want) and set(table["condition"]) <= {CONDITIONS["test_masked"]}
    assert (table["truth"] == "inbound").all()
    assert f"{len(want):,} of {len(mistakes):,} mistakes of {served} match" in messages(at.caption)

    at.selectbox(key="mistakes_model").set_value("logreg").run()
    logreg = artifacts.read_mistakes(Layout(project), "logreg")
    assert f"of {len(logreg):,} mistakes of logreg match" in messages(at.caption)


# -- a user's strings are text, never Markdown; no server path on a page ------------------------------------
ATTACK = "![x](http://127.0.0.1:8799/p.png)"
"""A column or file name that Markdown would render as an image the browser fetches."""
MARKUP = f"{ATTACK} [link](http://127.0.0.1:8799/) <b>bold</b> a`b :red[x] $x^2$ **strong** &amp;"
"""Markdown and HTML of every kind in one string: none of it may act on a page."""


@pytest.fixture
def tiny_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project the app reads with one small model as models/selected (a logistic regression
    trained here on a few texts) and the repository's dvc.yaml."""
    import numpy as np

    from twcs_classifier.models import LabelledTexts, build_model

    texts = ["@Delta where is my bag", "@AmazonHelp my order is late", "@12 sorry, please DM us", "@34 we can help"]
    model = build_model({"kind": "logreg", "min_df": 1}, seed=0).fit(
        LabelledTexts(texts * 10, np.array([1, 1, 0, 0] * 10))
    )
    model.save(tmp_path / "models" / "selected")
    shutil.copy(REPO / "dvc.yaml", tmp_path / "dvc.yaml")
    monkeypatch.setenv("TWCS_PROJECT_DIR", str(tmp_path))
    st.cache_resource.clear()
    return tmp_path


def markdown_sources(at: AppTest) -> list[str]:
    """Every piece of Markdown on the page (text elements, messages, widget labels and help)."""
    sources = [
        e.value for kind in ("markdown", "caption", "error", "warning", "info", "success") for e in getattr(at, kind)
    ]
    sources += [e.value for e in [*at.subheader, *at.header, *at.title]]
    sources += [w.label for w in [*at.selectbox, *at.button, *at.metric, *at.checkbox]]
    return sources


def assert_only_text(at: AppTest, *strings: str) -> None:
    """No Markdown on the page turns a user's string into an image, a link or HTML (rendered with
    CommonMark; a bare URL must be escaped too, or GitHub-flavoured Markdown links it), and each
    string appears on the page as the text it is."""
    from markdown_it import MarkdownIt

    render = MarkdownIt("commonmark").render
    pages = markdown_sources(at)
    for source in pages:
        html_out = render(source)
        assert "<img" not in html_out and "<a " not in html_out and "<b>" not in html_out, source
        assert "http://127.0.0.1" not in source, source  # escaped, so no autolink either
    shown = "\n".join(shown_text(source) for source in pages)
    for text in strings:
        assert text in shown, (text, shown[:2000])


def test_markup_in_a_csv_header_is_shown_as_text(tiny_project: Path) -> None:
    header = [ATTACK, "text", "a`b"]
    data = pd.DataFrame({ATTACK: ["1", "2"], "text": ["@Delta where is my bag", ""], "a`b": ["x", "y"]})
    at = upload(open_app("A CSV"), "tweets.csv", csv_bytes(data))
    assert_only_text(at, ", ".join(header))  # the caption naming the columns
    assert "The encodings a CSV may be read in" not in messages(at.markdown)  # no docstring printed by magic
    at = label_csv(at)
    assert counts(at)["Rows"] == 2
    assert_only_text(at, ATTACK)


def test_a_file_name_and_columns_with_markup_in_every_message(tiny_project: Path) -> None:
    name = f"{MARKUP}.csv"
    cases = [
        (b"", "is empty", name),  # an error naming the file
        (f"id,{MARKUP}\n1,2\n".encode(), "holds text", MARKUP),  # no text column: the columns are named
        (f"text,{MARKUP}\n".encode(), "but no rows", MARKUP),  # a header only: a warning naming the columns
        (f'text,"{MARKUP}","{MARKUP}"\na,b,c\n'.encode(), "more than once", MARKUP),  # an error repeating it
    ]
    for data, says, shown in cases:
        at = upload(open_app("A CSV"), name, data)
        assert says in messages([*at.error, *at.warning])
        assert_only_text(at, shown)


def test_a_label_column_with_a_backtick_stays_in_its_code_span(tiny_project: Path) -> None:
    from markdown_it import MarkdownIt

    name = "gold`en ![x](http://127.0.0.1:8799/p.png)"
    data = pd.DataFrame({"text": ["@Delta where is my bag", "@12 sorry, please DM us"], name: ["inbound", "outbound"]})
    at = upload(open_app("A CSV"), "gold.csv", csv_bytes(data))
    at.selectbox(key=next(b.key for b in at.selectbox if b.label == "Label column (optional)")).set_value(name).run()
    at = label_csv(at)
    heading = next(m.value for m in at.markdown if m.value.startswith("**Against the labels in"))
    html_out = MarkdownIt("commonmark").render(heading)
    assert f"<code>{name.replace('<', '&lt;')}</code>" in html_out.replace("&quot;", '"'), html_out
    assert "<img" not in html_out


def test_a_cell_with_markup_is_labelled_as_text(tiny_project: Path, downloads: dict[str, bytes]) -> None:
    cells = [f"@Delta {MARKUP}", f"{ATTACK} where is my bag"]
    at = label_csv(upload(open_app("A CSV"), "cells.csv", csv_bytes(pd.DataFrame({"text": cells}))))
    assert at.dataframe[-1].value["text"].tolist() == cells  # in the table as typed
    assert_only_text(at)


def test_a_damaged_selected_model_shows_no_server_path(tiny_project: Path) -> None:
    damaged = tiny_project / "models" / "selected" / "model.skops"
    damaged.write_bytes(damaged.read_bytes()[:200])
    at = open_app()
    text = messages(at.error)
    assert (
        "models/selected/model.skops cannot be loaded" in text
    )  # relative to the project and "dvc checkout select" in text
    assert str(tiny_project) not in "\n".join(markdown_sources(at))
    assert not at.text_area


def test_a_utf8_csv_read_as_latin1_is_refused_not_garbled(tiny_project: Path) -> None:
    at = upload(open_app("A CSV"), "accents.csv", "text\n@SNCF Très déçu où est mon train?\n".encode())
    assert not at.error, messages(at.error)
    at.selectbox(key="csv_encoding").set_value("latin-1").run()
    text = messages(at.error)
    assert "accents.csv is UTF-8 text, but it was to be read as latin-1" in text and "TrÃ¨s" in text
    assert not any(b.key == "label_csv" for b in at.button)
    at.selectbox(key="csv_encoding").set_value("utf-8").run()
    assert not at.error and counts(label_csv(at))["Rows"] == 1
