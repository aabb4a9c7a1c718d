"""The Mistakes page: each model's most confident errors under each test condition
(``reports/errors_<model>.csv``), the text highlighted as the model read it, filterable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from app_pages.common import NAMED, get_model, paths, percent_column, show_highlight, word_scores
from twcs_classifier import LABEL_TEXT, app_tables, app_text, app_tweet, artifacts, inference
from twcs_classifier.evaluation import CONDITIONS
from twcs_classifier.layout import SELECTED

if TYPE_CHECKING:
    import pandas as pd

SHOWN_TEXTS = 25


def page() -> None:
    st.header("Mistakes", anchor=False)
    layout = paths()
    names = [n for n in artifacts.compared_models(layout) if layout.errors_file(n).is_file()]
    if not names:
        st.error(
            f"**No mistakes in {NAMED.errors_file('<model>').parent}.**\n\n"
            "How to fix: build the models first: `make run` (or `dvc repro`)."
        )
        return
    st.caption(
        f"From `{NAMED.errors_file('<model>')}`: the tweets each model got wrong with the most confidence, under "
        "each test condition. Some are label noise: tweets marked as customer queries that read like an agent's "
        "reply (addressed to a numeric customer id, signed off with initials such as ^BB)."
    )
    served = (artifacts.read_json_or_none(layout.model_card) or {}).get("model")
    name, conditions = _model_and_conditions(names, served)
    truth, min_confidence, contains = _more_filters()
    mistakes = artifacts.read_mistakes(layout, name)
    shown = app_tables.filter_mistakes(mistakes, conditions, truth, min_confidence, contains)
    st.caption(f"{len(shown):,} of {len(mistakes):,} mistakes of {app_text.md_text(name)} match.")
    if shown.empty:
        return
    _mistakes_table(shown)
    _as_the_model_read_them(name if name != served else SELECTED, shown)


def _model_and_conditions(names: list[str], served: str | None) -> tuple[str, list[str]]:
    """The model (the served one first) and the test conditions whose mistakes are shown."""
    with st.container(horizontal=True, key="mistake_filters"):
        name = st.selectbox(
            "Model",
            names,
            index=names.index(served) if served in names else 0,
            format_func=lambda n: f"{n} (served)" if n == served else n,
            key="mistakes_model",
            width=200,
        )
        conditions = st.multiselect(
            "Conditions",
            list(CONDITIONS),
            default=list(CONDITIONS),
            format_func=CONDITIONS.get,
            key="mistakes_conditions",
            width=420,
        )
    return name, conditions


def _more_filters() -> tuple[str | None, float, str]:
    """The folded filters: the true class, the least confidence, words the text contains."""
    with st.expander("More filters: true class, confidence, words"), st.container(horizontal=True):
        truth = st.selectbox(
            "True class",
            [None, *LABEL_TEXT],
            format_func=lambda t: "either" if t is None else LABEL_TEXT[t],
            key="mistakes_truth",
            width=240,
        )
        min_confidence = st.slider(
            "At least this confident", 0.5, 1.0, 0.5, step=0.01, format="percent", key="mistakes_confidence", width=240
        )
        contains = st.text_input("Text contains", key="mistakes_contains", width=220)
    return truth, min_confidence, contains


def _mistakes_table(shown: pd.DataFrame) -> None:
    """The matching mistakes, as a table, probabilities as shown everywhere."""
    st.dataframe(
        shown.assign(
            condition=shown["condition"].map(lambda c: CONDITIONS.get(c, c)),
            confidence=inference.shown_probability(shown["confidence"]),
            p_inbound=inference.shown_probability(shown["p_inbound"]),
        ),
        hide_index=True,
        key="mistakes_table",
        column_order=["confidence", "truth", "text", "condition", "p_inbound"],
        column_config={
            "confidence": percent_column("confidence"),
            "truth": st.column_config.TextColumn("truth", width="small"),
            "text": st.column_config.TextColumn("text", width="large"),
            "p_inbound": percent_column("P(inbound)"),
        },
    )


def _as_the_model_read_them(model_name: str, shown: pd.DataFrame) -> None:
    """The first mistakes with each word highlighted by how it pushed the model."""
    model = get_model(model_name)
    if model is None:
        return
    st.markdown("**As the model read them**")
    st.markdown(app_tweet.legend_html(), unsafe_allow_html=True)
    for row in shown.head(SHOWN_TEXTS).itertuples():
        with st.container(border=True):
            st.markdown(
                f"**{app_text.md_text(CONDITIONS.get(row.condition, row.condition))}** · "
                f"truth: {app_text.md_text(app_tweet.CLASS_NOUN.get(row.truth, row.truth))} · "
                f"predicted {app_tweet.probability_line(row.predicted, row.p_inbound)}"
            )
            show_highlight(model, word_scores(model_name, model, str(row.text)))
    if len(shown) > SHOWN_TEXTS:
        st.caption(f"The first {SHOWN_TEXTS} are highlighted; narrow the filters to see others.")


page()
