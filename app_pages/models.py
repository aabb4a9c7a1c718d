"""The Models page: the compare table first (the served model marked) with compare's paired
verdicts, every paired test and how to serve another model; then per test condition the
reliability diagram and every model's confusion matrix (and for the random split ROC and
precision-recall), then every metric and the selected model's card."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages.common import NAMED, model_colour, paths, show_confusion
from twcs_classifier import app_curves, app_tables, app_text, artifacts
from twcs_classifier.compare import method_note, pair_rows
from twcs_classifier.evaluation import CONDITIONS
from twcs_classifier.layout import PRECISION_RECALL, ROC, Layout, reliability_plot

AXIS_TITLES = {
    "fpr": "False positive rate",
    "tpr": "True positive rate",
    "recall": "Recall (inbound)",
    "precision": "Precision (inbound)",
    "confidence": "Mean confidence in bin",
    "accuracy": "Accuracy in bin",
}
# The top corner of each curve, where good models differ: (x domain, y domain).
ZOOM = {ROC: ([0.0, 0.2], [0.8, 1.0]), PRECISION_RECALL: ([0.8, 1.0], [0.8, 1.0])}
CHART_HEIGHT = 320


def reliability_chart(frame: pd.DataFrame, title: str) -> alt.LayerChart:
    """Per confidence bin and model, the share of right answers, over the diagonal that a
    calibrated model lies on; a point's size is the bin's tweet count (in its tooltip too)."""
    x = alt.Scale(domain=[0.5, 1.0])
    y = alt.Scale(domain=app_curves.curve_domain(frame["accuracy"], floor=0.5))
    diagonal = (
        alt.Chart(pd.DataFrame({"confidence": [0.5, 1.0], "accuracy": [0.5, 1.0]}))
        .mark_line(strokeDash=[4, 4], color="grey")
        .encode(x=alt.X("confidence:Q", scale=x), y=alt.Y("accuracy:Q", scale=y))
    )
    # Both axis lines drawn and 0.50 under the left edge (not pushed right of it, as Vega does with the
    # first label), so the diagonal is seen to start on the y axis, at (0.5, 0.5).
    base = alt.Chart(frame).encode(
        x=alt.X("confidence:Q", title=AXIS_TITLES["confidence"], scale=x, axis=alt.Axis(domain=True, labelFlush=False)),
        y=alt.Y("accuracy:Q", title=AXIS_TITLES["accuracy"], scale=y, axis=alt.Axis(domain=True)),
        color=alt.Color("model:N", **model_colour()),
        tooltip=[
            "model",
            alt.Tooltip("confidence:Q", format=".3f"),
            alt.Tooltip("accuracy:Q", format=".3f"),
            alt.Tooltip("count:Q", title="tweets in bin"),
        ],
    )
    lines = base.mark_line(opacity=0.7).encode(order=alt.Order("point:Q"))
    points = base.mark_circle(opacity=0.85).encode(
        size=alt.Size("count:Q", title="tweets in bin", scale=alt.Scale(range=[15, 400]), legend=None)
    )
    return alt.layer(diagonal, lines, points, title=title).properties(height=CHART_HEIGHT)


def curve_chart(frame: pd.DataFrame, curve: str, title: str, zoom: bool) -> alt.Chart:
    """One line per model, points drawn in file order (ROC and PR curves double back in x);
    with ``zoom``, the axes show the top corner only."""
    x, y = app_curves.CURVES[curve][:2]
    x_domain, y_domain = ZOOM[curve] if zoom else ([0.0, 1.0], [0.0, 1.0])
    return (
        alt.Chart(frame, title=title)
        .mark_line(clip=True)
        .encode(
            x=alt.X(x, type="quantitative", title=AXIS_TITLES[x], scale=alt.Scale(domain=x_domain)),
            y=alt.Y(y, type="quantitative", title=AXIS_TITLES[y], scale=alt.Scale(domain=y_domain)),
            color=alt.Color("model", type="nominal", **model_colour()),
            order=alt.Order("point", type="quantitative"),
            tooltip=["model", alt.Tooltip(x, format=".3f"), alt.Tooltip(y, format=".3f")],
        )
        .properties(height=CHART_HEIGHT)
    )


def page() -> None:
    st.header("Models", anchor=False)
    layout = paths()
    names = artifacts.compared_models(layout)
    if not names:
        st.error(
            f"**No metrics in {NAMED.metrics}.**\n\nHow to fix: build the models first: `make run` (or `dvc repro`)."
        )
        return
    compare = artifacts.read_json_or_none(layout.compare_summary)
    if compare:
        show_ranking(compare)
    metrics = artifacts.load_metrics(layout, names)
    show_conditions(layout, names, metrics)
    with st.expander(
        f"Every metric, from `{NAMED.details_file('<model>')}` (`dvc metrics show` prints the headline, "
        f"`{NAMED.metrics_file('<model>')}`) and the seconds in `{NAMED.timing_file('<model>')}`"
    ):
        table = app_tables.metrics_table(metrics)
        st.dataframe(app_tables.style_figures(table, by="row"), key="metrics_table")
    show_card(layout)


def show_ranking(compare: dict) -> None:
    """compare's table of the models, in rank order, and its verdicts."""
    st.caption(
        f"From `{NAMED.compare_table}`: in order of {compare['rank_by']} (the figure alone: whether a lead "
        "means anything is for the paired tests below to say); F1 is macro-averaged; ECE is the expected "
        "calibration error of the served probabilities (0 is perfect)."
    )
    st.dataframe(app_tables.compare_style(app_tables.compare_table(compare)), key="compare_table")
    show_verdicts(compare)


def show_conditions(layout: Layout, names: list[str], metrics: dict) -> None:
    """One tab per test condition: reliability, ROC and precision-recall (random split), and
    every model's confusion matrix."""
    st.subheader("By test condition", anchor=False)
    st.caption(
        f"Reliability from `{NAMED.plot_file('<model>', reliability_plot('<condition>'))}`: per confidence bin, "
        "the share of right answers; a calibrated model lies on the dashed diagonal. A point's size is the number "
        "of tweets in its bin: a dip in a bin of a few tweets is noise. Confusion matrices from "
        f"`{NAMED.details_file('<model>')}`: counts, and in brackets the share of the actual class."
    )
    zoom = st.toggle("Zoom ROC and precision-recall into the top corner", value=True, key="zoom_curves")
    for tab, (condition, title) in zip(st.tabs([t.capitalize() for t in CONDITIONS.values()]), CONDITIONS.items()):
        with tab:
            frame = app_curves.load_curves(layout, names, reliability_plot(condition))
            st.altair_chart(reliability_chart(frame, f"Reliability: {title}"), width="stretch")
            if condition == "test":
                left, right = st.columns(2)
                left.altair_chart(
                    curve_chart(app_curves.load_curves(layout, names, ROC), ROC, "ROC", zoom), width="stretch"
                )
                right.altair_chart(
                    curve_chart(
                        app_curves.load_curves(layout, names, PRECISION_RECALL),
                        PRECISION_RECALL,
                        "Precision-recall (inbound positive)",
                        zoom,
                    ),
                    width="stretch",
                )
            show_matrices(metrics, condition)


def show_card(layout: Layout) -> None:
    """The card of the model select installed: a summary, and the whole card folded."""
    st.subheader("The selected model's card", anchor=False)
    card = artifacts.read_json_or_none(layout.model_card)
    if card is None:
        st.info(f"There is no {layout.model_card.name} in {NAMED.selected}: the select stage writes it (`dvc repro`).")
        return
    with st.container(key="model_card"):  # app.py's CSS wraps a long value (the SHA-256) inside its cell
        st.table(app_tables.card_summary(card))
    with st.expander(f"The whole card: {NAMED.model_card}"):
        st.json(card)


def show_verdicts(compare: dict) -> None:
    """compare's verdicts as it worded them (the overall one first; a warning where a model is
    significantly better than the selected one), every paired test, and how to serve another
    model."""
    for sentence in [compare["verdict"], *compare.get("verdicts", {}).values()]:
        (st.warning if sentence.startswith("Warning") else st.success)(sentence)
    pairs = pair_rows(compare)
    if pairs:
        with st.expander(f"Every paired test ({len(pairs)}), from `{NAMED.compare_table}`"):
            st.caption(method_note(compare))
            st.dataframe(pd.DataFrame(pairs), hide_index=True, key="pairs_table")
    st.info(
        f"**Serving another model.** The app and the command line serve `{NAMED.selected}`: the model "
        f"`select.model` in params.yaml names ({compare['selected']} now). To serve another, set `select.model` to "
        "its name (or to `best`: the simplest model no other is significantly better than on validation) and run "
        "`dvc repro` (only compare and select rerun); then reload this page. To try a model without serving it, "
        "pick it in the Model box of the other pages, or run `python -m twcs_classifier predict --model <name> …`.",
        icon=":material/swap_horiz:",
    )


def show_matrices(metrics: dict, condition: str) -> None:
    """Every model's confusion matrix under ``condition``, two to a row (one on a phone)."""
    names = [n for n in metrics if condition in metrics[n]]
    for start in range(0, len(names), 2):
        for column, name in zip(st.columns(2), names[start : start + 2]):
            with column:
                st.markdown(f"**{app_text.md_text(name)}** ({metrics[name][condition]['n']:,} tweets)")
                show_confusion(metrics[name][condition]["confusion"])


page()
