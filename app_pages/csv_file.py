"""The A CSV page: label every tweet of an uploaded CSV with a chosen model, see how sure
it is row by row, and, when the file says which tweets are customer queries, how right."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import MAX_CHARS, model_label, paths, percent_column, pick_model, show_confusion, show_error
from twcs_classifier import LABEL_TEXT, app_tables, artifacts, csv_output, inference, serving, user_csv
from twcs_classifier.app_text import md_code, md_text
from twcs_classifier.errors import PipelineError
from twcs_classifier.models import TextClassifier

CSV_CHUNK_ROWS = 5_000
NO_LABELS = "(none)"
SHOWN_ROWS = 1_000
# The encodings a CSV may be read in; UTF-8 (strict) unless the user picks another. (A comment,
# not a string under the constant: Streamlit's magic would print a bare string on the page.)
ENCODINGS = ("utf-8", "latin-1", "cp1252", "utf-16")
# The two downloads: (key, label, data and file name in the result, button type, what it is for).
DOWNLOADS = (
    (
        "download_csv",
        "Download the labelled CSV",
        "csv",
        "name",
        "primary",
        "Exact, for programs: every cell of your file as it was read, then the prediction columns.",
    ),
    (
        "download_spreadsheet_csv",
        "Download for a spreadsheet",
        "spreadsheet_csv",
        "spreadsheet_name",
        "secondary",
        "For Excel, LibreOffice or Google Sheets: cells they would run as formulas get a leading '.",
    ),
)
ENCODING_FIX = "pick its encoding in the Encoding box above (latin-1 or cp1252 for files from older spreadsheets)"


def read_upload(upload, encoding: str) -> pd.DataFrame | None:
    """The uploaded CSV as a frame, read once per file and encoding; ``None`` after saying
    what is wrong."""
    cached = st.session_state.get("csv_frame")
    key = (upload.file_id, encoding)
    if cached is None or cached[0] != key:
        try:
            cached = (key, user_csv.read_csv_upload(upload, encoding, name=upload.name, encoding_fix=ENCODING_FIX))
        except PipelineError as err:
            cached = (key, err)
        st.session_state["csv_frame"] = cached
    if isinstance(cached[1], PipelineError):
        show_error(cached[1])
        return None
    return cached[1]


def page() -> None:
    st.header("A CSV of tweets", anchor=False)
    st.caption(
        f"Upload a CSV with a header row and one tweet per row, of at most "
        f"{st.get_option('server.maxUploadSize')} MB, in UTF-8 (or pick its encoding). Texts longer than "
        f"{MAX_CHARS:,} characters are cut. Every row gets the predicted label and the probability of each "
        "class; rows without text (empty or only spaces) get none and are counted. A column that says which "
        "tweets are customer queries (such as `inbound`) shows how right the model is."
    )
    name, model = pick_model("csv_model")
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
    # The file's name and its column names are the user's: shown as text, never as Markdown.
    file_name, columns = md_text(upload.name), md_text(", ".join(map(str, frame.columns)))
    if frame.empty:
        st.warning(f"{file_name} has a header ({columns}) but no rows: there is nothing to label.")
        return
    candidates = user_csv.text_like_columns(frame)
    if not candidates:
        st.error(
            f"No column of {file_name} holds text (columns: {columns}). The CSV needs a column with the "
            "tweet texts, for example one named `text`."
        )
        return
    guess = user_csv.guess_text_column(frame, candidates)
    column = st.selectbox(
        "Text column", candidates, index=candidates.index(guess) if guess else 0, key=f"column_{upload.file_id}"
    )
    label_options = [NO_LABELS, *(c for c in user_csv.label_like_columns(frame) if c != column)]
    label_guess = user_csv.default_label_column(frame, column)
    label_column = st.selectbox(
        "Label column (optional)",
        label_options,
        index=label_options.index(label_guess) if label_guess else 0,
        key=f"labels_{upload.file_id}",
        help="A column whose values say which tweets are customer queries: True/False, 1/0 or inbound/outbound.",
    )
    label_column = None if label_column == NO_LABELS else label_column
    st.caption(f"{len(frame):,} rows; columns: {columns}.")
    key = (upload.file_id, encoding, column, label_column, name, artifacts.model_stamp(paths().model_dir(name)))
    if st.button("Label the tweets", type="primary", key="label_csv"):
        st.session_state.pop("csv_result", None)
        st.session_state["csv_result"] = label(model, frame, column, label_column, upload.name, key, name)
    done = st.session_state.get("csv_result")
    if done and done["key"] == key:
        show_result(done)


def label(
    model: TextClassifier,
    frame: pd.DataFrame,
    column: str,
    label_column: str | None,
    upload_name: str,
    key: tuple,
    name: str,
) -> dict:
    """Label ``frame`` with a progress bar; what the result view needs."""
    bar = st.progress(0.0, text="Labelling…")
    result = serving.predict_dataframe(
        model,
        frame,
        column,
        chunk_size=CSV_CHUNK_ROWS,
        progress=lambda done, total: bar.progress(done / total, text=f"Read {done:,} of {total:,} rows"),
    )
    bar.progress(1.0, text=labelled_line(result.counts))
    scores = serving.label_metrics(result, label_column) if label_column else None
    rows = pd.DataFrame({column: result.frame[column], **{c: result.output(c) for c in serving.OUTPUT_COLUMNS}})
    if label_column:
        rows.insert(1, "truth", user_csv.read_labels(result.frame[label_column]))
        rows["correct"] = (rows["truth"] == rows["predicted_label"]).where(
            rows["truth"].notna() & rows["predicted_label"].notna()
        )
    rows.insert(0, "row", range(1, len(rows) + 1))
    return {
        "key": key,
        "model": model_label(name),
        "text_column": column,
        "label_column": label_column,
        "counts": result.counts,
        "scores": scores,
        "rows": rows,
        "csv": csv_output.to_csv_bytes(result.frame),
        "spreadsheet_csv": csv_output.to_csv_bytes(result.frame, spreadsheet=True),
        "name": app_tables.labelled_filename(upload_name),
        "spreadsheet_name": app_tables.labelled_filename(upload_name, spreadsheet=True),
    }


def labelled_line(counts: dict) -> str:
    """How many rows got a label, and how many had no text to label."""
    return f"Labelled {counts['labelled']:,} of {counts['rows']:,} rows; {counts['missing_text']:,} had no text."


def show_result(done: dict) -> None:
    counts = done["counts"]
    st.subheader(f"Labelled by {done['model']}", anchor=False)
    st.caption(labelled_line(counts))
    with st.container(key="csv_counts", horizontal=True):
        st.metric("Rows", f"{counts['rows']:,}")
        st.metric(LABEL_TEXT["inbound"], f"{counts['inbound']:,}")
        st.metric(LABEL_TEXT["outbound"], f"{counts['outbound']:,}")
        st.metric("Rows without text", f"{counts['missing_text']:,}")
    with st.container(key="csv_downloads", horizontal=True):
        for key, label, data, name, kind, says in DOWNLOADS:
            st.download_button(
                label,
                data=done[data],
                file_name=done[name],
                mime="text/csv",
                on_click="ignore",
                key=key,
                type=kind,
                help=says,
            )
    st.caption(
        "The labelled CSV is exact, for programs (pandas, this app, the command line): every cell comes back as "
        "your file has it, texts starting with = + - or @ included. The file for a spreadsheet (`…_spreadsheet.csv`) "
        "is for opening in Excel, LibreOffice or Google Sheets: a cell a spreadsheet would run as a formula starts "
        "with an added `'`, so it is shown, never run (a program reading that file sees the `'`)."
    )
    if done["label_column"]:
        show_scores(done)
    show_rows(done)


def show_scores(done: dict) -> None:
    scores = done["scores"]
    st.markdown(f"**Against the labels in {md_code(done['label_column'])}**")
    if scores is None:
        st.warning(
            f"No row has both a text and a label that reads as inbound or outbound in {md_text(done['label_column'])}."
        )
        return
    with st.container(key="csv_scores", horizontal=True):
        st.metric("Accuracy", app_tables.format_rate(round(scores["accuracy"] * scores["n"]), scores["n"]))
        st.metric("F1 (macro)", f"{scores['f1_macro']:.3f}")
        st.metric("Rows scored", f"{scores['rows_scored']:,}")
        st.metric("Rows not scored", f"{scores['rows_not_scored']:,}", help="No text, or no readable label.")
    left, right = st.columns(2)
    with left:
        st.caption("Tweets by actual and predicted class (share of the actual class)")
        show_confusion(scores["confusion"])
    with right:
        st.caption("Per class")
        st.table(app_tables.style_figures(app_tables.per_class_table(scores)))


def show_rows(done: dict) -> None:
    rows = done["rows"]
    st.markdown("**The rows**")
    with st.container(horizontal=True, key="csv_filters"):
        low, high = st.slider(
            "Confidence", 0.5, 1.0, (0.5, 1.0), step=0.01, key="csv_confidence", format="percent", width=260
        )
        order = st.selectbox("Order", list(app_tables.SORT_ORDERS), key="csv_order", width=220)
        only_wrong = done["label_column"] is not None and st.checkbox("Only mistakes", key="csv_only_wrong")
    shown = app_tables.view_rows(rows, (low, high), order, only_wrong)
    shown = shown.assign(confidence=inference.shown_probability(shown["confidence"]))
    st.caption(
        f"{len(shown):,} of {len(rows):,} rows match"
        + (f"; the first {SHOWN_ROWS:,} are listed" if len(shown) > SHOWN_ROWS else "")
        + ". The download holds every row."
    )
    text = done["text_column"]
    order_of_columns = ["row", "predicted_label", "confidence", *(["truth"] if "truth" in rows else []), text]
    st.dataframe(
        shown.head(SHOWN_ROWS),
        hide_index=True,
        key="csv_rows",
        column_order=order_of_columns,
        column_config={
            "row": st.column_config.NumberColumn("row", width="small"),
            "predicted_label": st.column_config.TextColumn("predicted", width="small"),
            "confidence": percent_column("confidence"),
            text: st.column_config.TextColumn(text, width="large"),
        },
    )


page()
