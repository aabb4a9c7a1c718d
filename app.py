"""Customer query or company reply? The Streamlit app over the pipeline's models.

Run it with ``make app`` (``streamlit run app.py``). It serves ``models/selected`` through
:mod:`twcs_classifier.serving`, the same code as the CLI, and reads ``models/``,
``metrics/`` and ``plots/`` under ``$TWCS_PROJECT_DIR`` (default: this file's directory).
What the pages show is decided in :mod:`twcs_classifier.app_view`, from what
:mod:`twcs_classifier.artifacts` reads; this file only lays it out.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from twcs_classifier import LABEL_TEXT, app_view, artifacts, serving
from twcs_classifier.errors import PipelineError
from twcs_classifier.evaluation import CONDITIONS
from twcs_classifier.layout import CONFUSION, PRECISION_RECALL, ROC, SELECTED, Layout, reliability_plot
from twcs_classifier.models import TextClassifier, load_model

PATHS = Layout.from_env(Path(__file__).resolve().parent)
NAMED = Layout()  # paths relative to the project, to name files on the page
MAX_CHARS = serving.MAX_TEXT_CHARS
CSV_CHUNK_ROWS = 5_000
PAGES = ("One tweet", "A CSV", "Models")
AXIS_TITLES = {
    "fpr": "False positive rate",
    "tpr": "True positive rate",
    "recall": "Recall (inbound)",
    "precision": "Precision (inbound)",
    "confidence": "Mean confidence in bin",
    "accuracy": "Accuracy in bin",
}


# -- models: loaded once per directory (and again only if the pipeline rebuilt it) ----------------
@st.cache_resource(show_spinner="Loading the model (once)…", max_entries=8)
def load_classifier(directory: str, stamp: int) -> TextClassifier:
    """The saved model in ``directory``, warmed up so the first prediction is quick."""
    model = serving.load_selected(directory) if Path(directory) == PATHS.selected else load_model(directory)
    serving.predict(model, ["warm up"])
    return model


def show_error(err: PipelineError) -> None:
    """A :class:`PipelineError` as a message: what is wrong and how to fix it."""
    st.error(f"**{err.problem[:1].upper()}{err.problem[1:]}.**\n\nHow to fix: {err.fix}.")


def get_model(name: str) -> TextClassifier | None:
    """Model ``name`` (``selected`` or a trained model), or ``None`` after saying how to build it."""
    directory = PATHS.model_dir(name)
    try:
        return load_classifier(str(directory), artifacts.model_stamp(directory) or 0)
    except PipelineError as err:
        show_error(err)
        return None


def model_label(name: str) -> str:
    """How a model shows in the picker: the selected one names what it is."""
    if name != SELECTED:
        return name
    card = artifacts.read_json_or_none(PATHS.model_card) or {}
    return f"selected ({card['model']})" if "model" in card else "selected"


# -- one tweet ------------------------------------------------------------------------------------
def use_example(text: str) -> None:
    """Put an example in the text box and label it (a button callback, run before the page)."""
    st.session_state["tweet"] = text
    st.session_state["predicted_text"] = text


def one_tweet_page() -> None:
    st.header("One tweet")
    st.caption(
        f"Type or paste a tweet. Texts longer than {MAX_CHARS:,} characters are cut to their first "
        f"{MAX_CHARS:,} (a tweet has at most 280)."
    )
    choice = st.selectbox(
        "Model",
        [SELECTED, *artifacts.trained_models(PATHS)],
        format_func=model_label,
        key="model_choice",
        help="The selected model is the one the pipeline chose; the others are the models it compared.",
    )
    model = get_model(choice)
    if model is None:
        return
    st.caption("Try an example:")
    for column, example in zip(st.columns(len(app_view.EXAMPLE_TWEETS)), app_view.EXAMPLE_TWEETS):
        column.button(
            example.title,
            key=f"example_{example.title}",
            help=example.text,
            on_click=use_example,
            args=(example.text,),
            width="stretch",
        )
    text = st.text_area("Tweet", key="tweet", height=110, placeholder="@AmazonHelp where is my order?")
    if st.button("Predict", type="primary", key="predict"):
        st.session_state["predicted_text"] = text
    if "predicted_text" in st.session_state:
        show_prediction(model, st.session_state["predicted_text"], changed=st.session_state["predicted_text"] != text)


def show_prediction(model: TextClassifier, raw: str, changed: bool) -> None:
    prepared = app_view.prepare_text(raw, MAX_CHARS)
    if serving.blank_mask(model, [prepared.text])[0]:
        st.warning(
            "There is nothing to label: the text is empty, or nothing is left of it once normalised "
            "(only spaces). Type or paste a tweet first."
        )
        return
    if changed:
        st.caption("You have edited the text since: press **Predict** to label the new text.")
    if prepared.cut:
        st.info(f"The text has {prepared.original_chars:,} characters: only its first {MAX_CHARS:,} were labelled.")
    if not serving.has_word_characters(prepared.text):
        st.info("The text has no letters or digits (only emoji or symbols): the model has little to go on.")
    pred = serving.predict(model, [prepared.text])[0]
    with st.container(key="prediction", border=True):
        st.subheader(pred.label_text, anchor=False)
        confidence, inbound, outbound = st.columns(3)
        confidence.metric(
            "Confidence", app_view.format_percent(pred.confidence), help="The probability of the predicted class."
        )
        inbound.metric(f"P({LABEL_TEXT['inbound']})", app_view.format_percent(pred.p_inbound))
        outbound.metric(f"P({LABEL_TEXT['outbound']})", app_view.format_percent(pred.p_outbound))
    scores = serving.explain(model, prepared.text)
    st.markdown("**Which words pushed the decision**")
    if not scores:
        st.caption("This model gives no word scores for this text.")
        return
    with st.container(key="highlight"):
        st.markdown(app_view.highlight_html(scores), unsafe_allow_html=True)
    st.markdown(app_view.legend_html(), unsafe_allow_html=True)
    st.caption(
        model.importance_explanation
        + " Words appear as the model reads them: lower-cased, links as `xxurl`, punctuation split off."
    )
    with st.expander("Scores of the strongest words"):
        st.dataframe(app_view.importance_frame(scores), hide_index=True)


# -- a CSV ------------------------------------------------------------------------------------------
ENCODINGS = ("utf-8", "latin-1", "cp1252", "utf-16")
"""The encodings a CSV may be read in; UTF-8 (strict) unless the user picks another."""


def read_upload(upload, encoding: str) -> pd.DataFrame | None:
    """The uploaded CSV as a frame, read once per file and encoding; ``None`` after saying
    what is wrong."""
    cached = st.session_state.get("csv_frame")
    key = (upload.file_id, encoding)
    if cached is None or cached[0] != key:
        try:
            cached = (key, serving.read_csv_upload(upload, encoding, name=upload.name))
        except PipelineError as err:
            cached = (key, err)
        st.session_state["csv_frame"] = cached
    if isinstance(cached[1], PipelineError):
        show_error(cached[1])
        return None
    return cached[1]


def csv_page() -> None:
    st.header("A CSV of tweets")
    st.caption(
        f"Upload a CSV with a header row and one tweet per row, of at most "
        f"{st.get_option('server.maxUploadSize')} MB, in UTF-8 (or pick its encoding). Texts longer than "
        f"{MAX_CHARS:,} characters are cut. Every row gets the predicted label and the probability of each "
        "class; rows without text (empty or only spaces) get none and are counted."
    )
    model = get_model(SELECTED)
    if model is None:
        return
    upload = st.file_uploader("CSV file", type=["csv"], key="csv_upload")
    encoding = st.selectbox("Encoding", ENCODINGS, key="csv_encoding", help="How the file's text is stored.")
    if upload is None:  # nothing uploaded, or the file was removed: let go of the last one
        st.session_state.pop("csv_frame", None)
        st.session_state.pop("csv_result", None)
        return
    frame = read_upload(upload, encoding)
    if frame is None:
        return
    columns = ", ".join(map(str, frame.columns))
    if frame.empty:
        st.warning(f"{upload.name} has a header ({columns}) but no rows: there is nothing to label.")
        return
    candidates = serving.text_like_columns(frame)
    if not candidates:
        st.error(
            f"No column of {upload.name} holds text (columns: {columns}). The CSV needs a column with the "
            "tweet texts, for example one named `text`."
        )
        return
    guess = serving.guess_text_column(frame, candidates)
    column = st.selectbox(
        "Text column", candidates, index=candidates.index(guess) if guess else 0, key=f"column_{upload.file_id}"
    )
    st.caption(f"{len(frame):,} rows; columns: {columns}.")
    key = (upload.file_id, encoding, column, artifacts.model_stamp(PATHS.selected))
    if st.button("Label the tweets", type="primary", key="label_csv"):
        st.session_state.pop("csv_result", None)
        bar = st.progress(0.0, text="Labelling…")
        result = serving.predict_dataframe(
            model,
            frame,
            column,
            chunk_size=CSV_CHUNK_ROWS,
            progress=lambda done, total: bar.progress(done / total, text=f"Labelled {done:,} of {total:,} rows"),
        )
        st.session_state["csv_result"] = {
            "key": key,
            "counts": result.counts,
            "preview": result.frame.head(50),
            "csv": serving.to_csv_bytes(result.frame),
            "name": app_view.labelled_filename(upload.name),
        }
        del result
    done = st.session_state.get("csv_result")
    if done and done["key"] == key:
        show_csv_result(done)


def show_csv_result(done: dict) -> None:
    counts = done["counts"]
    with st.container(key="csv_counts"):
        rows, inbound, outbound, missing = st.columns(4)
        rows.metric("Rows", f"{counts['rows']:,}")
        inbound.metric(LABEL_TEXT["inbound"], f"{counts['inbound']:,}")
        outbound.metric(LABEL_TEXT["outbound"], f"{counts['outbound']:,}")
        missing.metric("Rows without text", f"{counts['missing_text']:,}")
    st.caption(f"The first {len(done['preview'])} rows:")
    st.dataframe(done["preview"], hide_index=True)
    st.download_button(
        "Download the labelled CSV",
        data=done["csv"],
        file_name=done["name"],
        mime="text/csv",
        on_click="ignore",
        key="download_csv",
        type="primary",
    )


# -- models -------------------------------------------------------------------------------------------
def curve_chart(frame: pd.DataFrame, x: str, y: str, title: str) -> alt.Chart:
    """One line per model, points drawn in file order (ROC and PR curves double back in x);
    scroll to zoom into the top corner, where good models differ."""
    return (
        alt.Chart(frame, title=title)
        .mark_line()
        .encode(
            x=alt.X(x, type="quantitative", title=AXIS_TITLES[x], scale=alt.Scale(domain=[0, 1])),
            y=alt.Y(y, type="quantitative", title=AXIS_TITLES[y], scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("model", type="nominal"),
            order=alt.Order("point", type="quantitative"),
            tooltip=["model", x, y],
        )
        .properties(height=360)
        .interactive()
    )


def models_page() -> None:
    st.header("Models")
    names = artifacts.compared_models(PATHS)
    if not names:
        st.error(
            f"**No metrics in {PATHS.metrics}.**\n\nHow to fix: build the models first: `make run` (or `dvc repro`)."
        )
        return
    compare = artifacts.read_json_or_none(PATHS.compare_summary)
    if compare:
        st.caption(f"Ranked by {compare['rank_by']}; selected: **{compare['selected']}**; best: **{compare['best']}**.")
        for sentence in compare.get("verdicts", {"test": compare["verdict"]}).values():
            (st.warning if sentence.startswith("Warning") else st.success)(sentence)
    st.subheader("Metrics", anchor=False)
    st.caption(
        f"From `{NAMED.details_file('<model>')}` (`dvc metrics show` prints the headline, "
        f"`{NAMED.metrics_file('<model>')}`) and the seconds in `{NAMED.timing_file('<model>')}`."
    )
    table = app_view.metrics_table(artifacts.load_metrics(PATHS, names))
    st.dataframe(table.style.format(app_view.format_metric), height=420)

    st.subheader("Reliability: does the confidence mean what it says?", anchor=False)
    st.caption(
        f"From `{NAMED.plot_file('<model>', reliability_plot('<condition>'))}`: per confidence bin, the share of "
        "right answers. A calibrated model lies on the diagonal."
    )
    for column, (condition, title) in zip(st.columns(3), CONDITIONS.items()):
        frame = app_view.load_curves(PATHS, names, reliability_plot(condition))
        column.altair_chart(curve_chart(frame, "confidence", "accuracy", title.capitalize()), width="stretch")

    st.subheader("Curves on the test split", anchor=False)
    st.caption(
        f"From `{NAMED.plot_file('<model>', ROC)}` and `{NAMED.plot_file('<model>', PRECISION_RECALL).name}`. "
        "Scroll on a chart to zoom, drag to pan."
    )
    left, right = st.columns(2)
    left.altair_chart(curve_chart(app_view.load_curves(PATHS, names, ROC), "fpr", "tpr", "ROC"), width="stretch")
    right.altair_chart(
        curve_chart(
            app_view.load_curves(PATHS, names, PRECISION_RECALL),
            "recall",
            "precision",
            "Precision-recall (inbound positive)",
        ),
        width="stretch",
    )

    st.subheader("Confusion matrices on the test split", anchor=False)
    st.caption(f"From `{NAMED.plot_file('<model>', CONFUSION)}`: tweets counted by actual and predicted class.")
    for start in range(0, len(names), 2):
        for column, name in zip(st.columns(2), names[start : start + 2]):
            column.markdown(f"**{name}**")
            matrix = app_view.load_confusion(PATHS, name)
            if matrix is None:
                column.caption(f"There is no {NAMED.plot_file(name, CONFUSION)}.")
            else:
                column.dataframe(matrix)

    st.subheader("The selected model's card", anchor=False)
    card = artifacts.read_json_or_none(PATHS.model_card)
    if card is None:
        st.info(f"There is no {PATHS.model_card.name} in {PATHS.selected}: the select stage writes it (`dvc repro`).")
        return
    st.table(app_view.card_summary(card))
    with st.expander(f"The whole card: {NAMED.model_card}"):
        st.json(card)


# -- the page ----------------------------------------------------------------------------------------
st.set_page_config(page_title="Customer query or company reply?", page_icon="💬", layout="wide")
st.title("Customer query or company reply?")
with st.sidebar:
    page = st.radio("Page", PAGES, key="page")
    st.caption(
        "Tells a customer's tweet to a brand (inbound) from the brand's reply (outbound), "
        "trained on the Kaggle *Customer Support on Twitter* data."
    )
    st.caption(f"Project: `{PATHS.root}`")
{"One tweet": one_tweet_page, "A CSV": csv_page, "Models": models_page}[page]()
