"""What the app's pages share: the project's paths, models loaded once, the model picker,
and how a :class:`~twcs_classifier.errors.PipelineError` is shown."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import streamlit as st

from twcs_classifier import app_tables, app_text, app_tweet, artifacts, inference
from twcs_classifier.errors import PipelineError
from twcs_classifier.explanation import WordScores
from twcs_classifier.layout import SELECTED, Layout
from twcs_classifier.models import TextClassifier, load_model

ROOT = Path(__file__).resolve().parents[1]
NAMED = Layout()  # paths relative to the project, to name files on the page
MAX_CHARS = inference.MAX_TEXT_CHARS


def paths() -> Layout:
    """The project the app reads (:meth:`~twcs_classifier.layout.Layout.find`:
    ``$TWCS_PROJECT_DIR``, else the app's directory), found on every run, so a test can point
    the app at another project."""
    return Layout.find(ROOT)


@st.cache_resource(show_spinner="Loading the model (once)…", max_entries=8)
def load_classifier(directory: str, stamp: int) -> TextClassifier:
    """The saved model in ``directory``, warmed up so the first prediction is quick."""
    model = load_model(directory)
    inference.predict(model, ["warm up"])
    return model


@st.cache_data(show_spinner=False, max_entries=2000)
def _word_scores(directory: str, stamp: int, text: str, _model: TextClassifier) -> WordScores:
    return inference.explain_words(_model, text)


def word_scores(name: str, model: TextClassifier, text: str) -> WordScores:
    """:func:`~twcs_classifier.inference.explain_words` for model ``name``, kept per model file and
    text (a text's scores are the same every time), so a page of many texts computes each once."""
    directory = paths().model_dir(name)
    return _word_scores(str(directory), artifacts.model_stamp(directory) or 0, text, model)


def show_error(err: PipelineError) -> None:
    """A :class:`PipelineError` as a message: what is wrong and how to fix it, as text (a file or
    column name in it is never read as Markdown), with no server path in it."""
    st.error(app_text.error_markdown(err.problem, err.fix, paths().root))


def get_model(name: str) -> TextClassifier | None:
    """Model ``name`` (``selected`` or a trained model), or ``None`` after saying how to build it."""
    directory = paths().model_dir(name)
    try:
        return load_classifier(str(directory), artifacts.model_stamp(directory) or 0)
    except PipelineError as err:
        show_error(err)
        return None


def model_label(name: str) -> str:
    """How a model shows in the picker and on results: the selected one names what it is."""
    if name != SELECTED:
        return name
    card = artifacts.read_json_or_none(paths().model_card) or {}
    return f"selected ({card['model']})" if "model" in card else "selected"


def pick_model(key: str) -> tuple[str, TextClassifier | None]:
    """A model picker (the selected model first, then every trained one) and the model picked."""
    name = st.selectbox(
        "Model",
        [SELECTED, *artifacts.trained_models(paths())],
        format_func=model_label,
        key=key,
        help="The selected model is the one the pipeline chose; the others are the models it compared.",
    )
    return name, get_model(name)


def show_highlight(model: TextClassifier, scores: WordScores, note: bool = True) -> None:
    """A text's word scores as highlighted words (see :func:`~twcs_classifier.app_tweet.highlight_html`),
    with ``note``, under them which words the model read when it did not read them all."""
    st.markdown(app_tweet.highlight_html(scores.pairs(), scores.read), unsafe_allow_html=True)
    read = app_tweet.reading_note(len(scores.words), scores.read, model.max_tokens_read)
    if note and read:
        st.caption(read)


def show_confusion(counts: dict[str, int]) -> None:
    """A confusion matrix with counts and rates, as a static table (never cut on a phone)."""
    st.table(app_tables.confusion_display(counts))


def model_colour() -> dict:
    """How charts colour models: distinct hues, the legend under the chart so the lines get the width."""
    return {
        "scale": alt.Scale(scheme="tableau10"),
        "legend": alt.Legend(orient="bottom", direction="horizontal", title=None, columns=4),
    }


def percent_column(label: str) -> st.column_config.NumberColumn:
    """A probability shown as a percentage with one decimal."""
    return st.column_config.NumberColumn(label, format="percent", width="small")
