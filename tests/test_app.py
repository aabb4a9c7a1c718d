"""The Streamlit app (app.py) driven by Streamlit's AppTest, on the models of a real
`dvc repro` (the ``built_project`` fixture) and on a project with no models at all.

Every path of issue 3 is here: one tweet (label, both probabilities, confidence,
highlighted words, examples, every trained model), a CSV (progress, preview, counts,
download, 100k rows), the Models page, and every bad input the issue lists.
"""

from __future__ import annotations

import io
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

from twcs_classifier import LABEL_TEXT, app_view, artifacts, serving
from twcs_classifier.files import escape_formula
from twcs_classifier.layout import Layout
from twcs_classifier.models import load_model

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
TIMEOUT = 180  # loading a TensorFlow model on two cores takes a while
TWEET = "@AmazonHelp my order was due yesterday and the tracking has not moved in 4 days, where is it?"
UPLOAD_CAP_MB = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]


# -- fixtures and helpers --------------------------------------------------------------------------
@pytest.fixture
def project(built_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app reads the built project's models/, metrics/ and plots/."""
    monkeypatch.setenv("TWCS_PROJECT_DIR", str(built_project))
    return built_project


@pytest.fixture(scope="module")
def selected_model(built_project: Path):
    """The selected model, loaded here through the serving path, to check the page against."""
    return serving.load_selected(built_project / "models" / "selected")


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
        at.radio(key="page").set_value(page).run()
        assert not at.exception, at.exception
    return at


def predict(at: AppTest, text: str) -> AppTest:
    at.text_area(key="tweet").input(text)
    at.button(key="predict").click().run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> dict[str, str]:
    """The prediction on the page: the label and the three metrics."""
    assert len(at.subheader) == 1, "no prediction on the page"
    return {"label": at.subheader[0].value, **{m.label: m.value for m in at.metric}}


def messages(elements) -> str:
    return "\n".join(e.value for e in elements)


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="csv_upload").set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def label_csv(at: AppTest) -> AppTest:
    at.button(key="label_csv").click().run()
    assert not at.exception, at.exception
    return at


def counts(at: AppTest) -> dict[str, int]:
    return {m.label: int(m.value.replace(",", "")) for m in at.metric}


def check_prediction(at: AppTest, model, text: str) -> None:
    """The page shows what the serving path predicts for ``text``."""
    expected = serving.predict(model, [text])[0]
    page = shown(at)
    assert page["label"] == expected.label_text
    assert page["Confidence"] == app_view.format_percent(expected.confidence)
    assert page[f"P({LABEL_TEXT['inbound']})"] == app_view.format_percent(expected.p_inbound)
    assert page[f"P({LABEL_TEXT['outbound']})"] == app_view.format_percent(expected.p_outbound)


# -- no model yet -------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", ["One tweet", "A CSV", "Models"])
def test_without_models_every_page_says_how_to_build_them(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWCS_PROJECT_DIR", str(tmp_path))
    at = open_app(page)
    assert "dvc repro" in messages(at.error)
    assert not at.text_area and not at.file_uploader


# -- one tweet -------------------------------------------------------------------------------------------
def test_one_tweet_shows_label_probabilities_and_highlighted_words(project: Path, selected_model) -> None:
    at = predict(open_app(), TWEET)
    check_prediction(at, selected_model, TWEET)
    page = shown(at)
    assert page["label"] in LABEL_TEXT.values()
    assert page["Confidence"] == page[f"P({page['label']})"]  # the probability of the predicted class

    scores = selected_model.token_importance(TWEET)
    highlight = [m.value for m in at.markdown if "twcs-highlight" in m.value]
    assert highlight == [app_view.highlight_html(scores)]
    assert highlight[0].count('class="twcs-token') == len(scores) > 5
    assert selected_model.importance_explanation in messages(at.caption)
    assert f"{serving.MAX_TEXT_CHARS:,} characters" in messages(at.caption)


def test_the_model_is_loaded_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    st.cache_resource.clear()
    calls = []
    original = serving.load_selected
    monkeypatch.setattr(serving, "load_selected", lambda d=None: calls.append(d) or original(d))
    predict(open_app(), TWEET)
    predict(open_app(), "@sprintcare thanks!")  # a second session
    assert calls == [str(project / "models" / "selected")]


@pytest.mark.parametrize("example", app_view.EXAMPLE_TWEETS, ids=lambda e: e.title)
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
    assert not at.subheader and not at.metric
    check_prediction(predict(at, TWEET), selected_model, TWEET)  # and the app keeps working


def test_a_10000_character_text_is_cut_and_labelled(project: Path, selected_model) -> None:
    text = ("@AmazonHelp where is my parcel? " * 400)[:10_000]
    at = predict(open_app(), text)
    assert f"has 10,000 characters: only its first {serving.MAX_TEXT_CHARS:,} were labelled" in messages(at.info)
    check_prediction(at, selected_model, text[: serving.MAX_TEXT_CHARS])
    check_prediction(predict(at, TWEET), selected_model, TWEET)
    assert not at.info


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
    highlight = next(m.value for m in at.markdown if "twcs-highlight" in m.value)
    assert "<script>" not in highlight
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
    at = upload(at, "tweets.csv", csv_bytes(SMALL_CSV))
    column = next(box for box in at.selectbox if box.key.startswith("column_"))
    assert at.selectbox(key="csv_encoding").value == "utf-8"
    assert column.value == "text" and column.options == ["author_id", "text"]
    at = label_csv(at)
    assert at.progress[0].value == 100
    assert "Labelled 5 of 5 rows" in at.progress[0].proto.text

    frame = serving.read_csv_upload(io.BytesIO(csv_bytes(SMALL_CSV)))
    table = serving.predict_dataframe(selected_model, frame, "text")
    expected, want = table.frame, table.counts
    assert counts(at) == {
        "Rows": 5,
        LABEL_TEXT["inbound"]: want["inbound"],
        LABEL_TEXT["outbound"]: want["outbound"],
        "Rows without text": 1,
    }
    preview = at.dataframe[0].value
    assert list(preview.columns) == [*SMALL_CSV.columns, *serving.OUTPUT_COLUMNS] and len(preview) == 5

    button = at.download_button(key="download_csv")
    assert button.proto.url and button.proto.ignore_rerun  # served; clicking it does not rerun the app
    assert list(downloads) == ["tweets_labelled.csv"]
    got = pd.read_csv(io.BytesIO(downloads["tweets_labelled.csv"]), dtype={"tweet_id": str, "author_id": str})
    # Texts starting with @ (a formula in a spreadsheet) are written with a leading quote.
    assert got["text"].fillna("").tolist() == [escape_formula(t) for t in SMALL_CSV["text"]]
    assert got["text"][0] == "'@AcmeMobile and how exactly am I meant to do that"
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
    at.selectbox(key="csv_encoding").set_value("latin-1").run()
    at = label_csv(at)
    assert not at.error and counts(at)["Rows"] == 2
    got = pd.read_csv(io.BytesIO(downloads["français_labelled.csv"]))
    assert got["text"].tolist() == ["'@SNCF Où est mon train? Très déçu, ça fait 2 h", "Merci, à bientôt"]
    assert set(got["predicted_label"]) <= {"inbound", "outbound"}


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
        (b"text,n\nhello,1\nthere,2,3\n", "Line 3 of ragged.csv has 3 fields"),
        (b"text,text\na,b\n", "'text' more than once"),
    ],
    ids=["ragged", "duplicate-header"],
)
def test_a_malformed_csv_names_the_line(project: Path, data: bytes, says: str) -> None:
    at = upload(open_app("A CSV"), "ragged.csv", data)
    assert says in messages(at.error)


def test_a_damaged_model_is_a_message_not_a_crash(built_project: Path, tmp_path: Path, monkeypatch) -> None:
    shutil.copytree(built_project / "models" / "selected", tmp_path / "models" / "selected")
    damaged = next(p for p in (tmp_path / "models" / "selected").iterdir() if p.suffix in (".keras", ".skops"))
    damaged.write_bytes(damaged.read_bytes()[:1000])
    monkeypatch.setenv("TWCS_PROJECT_DIR", str(tmp_path))
    st.cache_resource.clear()
    at = open_app()
    assert f"{damaged.name} cannot be loaded" in messages(at.error) and "dvc repro --force select" in messages(at.error)
    assert not at.text_area


@pytest.mark.parametrize(
    ("name", "data", "kind", "says"),
    [
        ("numbers.csv", b"tweet_id,inbound\n1,True\n2,False\n", "error", "No column of numbers.csv holds text"),
        ("empty.csv", b"", "error", "Empty.csv is empty"),
        ("blank.csv", b"\n  \n", "error", "Blank.csv is empty"),
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
    got = pd.read_csv(io.BytesIO(downloads["twcs_100k_labelled.csv"]), usecols=["tweet_id", "predicted_label"])
    assert len(got) == 100_000
    assert grew_mb < 4_000


# -- the Models page ------------------------------------------------------------------------------------------
def test_models_page_shows_metrics_plots_and_the_card(project: Path) -> None:
    at = open_app("Models")
    compare = artifacts.read_json_or_none(project / "metrics" / "compare.json")
    shown = [m.value for m in [*at.success, *at.warning]]
    assert sorted(shown) == sorted(compare["verdicts"].values())
    for sentence in compare["verdicts"].values():  # a warning exactly where the selected model does not win
        assert (sentence in [m.value for m in at.warning]) == sentence.startswith("Warning")

    table = at.dataframe[0].value
    assert sorted(table.columns) == sorted(MODELS)
    paths = Layout(project)
    for name in MODELS:
        metrics = artifacts.read_json_or_none(paths.details_file(name))
        for key in ("accuracy", "f1_macro", "roc_auc", "average_precision", "log_loss", "n"):
            assert table.loc[f"test.{key}", name] == pytest.approx(metrics["test"][key])
        assert table.loc["validation.accuracy", name] == pytest.approx(metrics["validation"]["accuracy"])
        timing = artifacts.read_json_or_none(paths.timing_file(name))
        assert timing["train_seconds"] > 0
        assert table.loc["timing.train_seconds", name] == pytest.approx(timing["train_seconds"])

    charts = at.get("vega_lite_chart")
    assert len(charts) == 5  # three reliability diagrams, ROC, precision-recall
    specs = [c.proto.spec for c in charts]
    assert all('"confidence"' in spec for spec in specs[:3])
    assert '"fpr"' in specs[3] and '"precision"' in specs[4]

    matrices = at.dataframe[1:]
    assert len(matrices) == len(MODELS)
    names = artifacts.compared_models(Layout(project))
    for name, matrix in zip(names, matrices):
        confusion = artifacts.read_json_or_none(paths.details_file(name))["test"]["confusion"]
        values = matrix.value
        assert values.loc["actual inbound", "predicted inbound"] == confusion["tp"]
        assert values.loc["actual inbound", "predicted outbound"] == confusion["fn"]
        assert values.loc["actual outbound", "predicted inbound"] == confusion["fp"]
        assert values.loc["actual outbound", "predicted outbound"] == confusion["tn"]

    card = at.table[0].value
    assert card.loc["model"].iloc[0] == compare["selected"]
    assert at.json[0].value
