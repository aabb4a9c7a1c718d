"""The One tweet page: type or pick a tweet, read the label, its probability and which
words pushed the decision."""

from __future__ import annotations

import streamlit as st

from app_pages.common import MAX_CHARS, pick_model, show_highlight
from twcs_classifier import app_tweet, inference, user_csv
from twcs_classifier.models import TextClassifier


def use_example(text: str) -> None:
    """Put an example in the text box and label it (a button callback, run before the page)."""
    st.session_state["tweet"] = text
    st.session_state["predicted_text"] = text


def page() -> None:
    st.header("One tweet", anchor=False)
    st.caption(
        "Is it a customer's tweet to a brand (inbound) or the brand's reply (outbound)? Type or paste a tweet; "
        f"texts over {MAX_CHARS:,} characters are cut (a tweet has at most 280)."
    )
    _, model = pick_model("model_choice")
    if model is None:
        return
    text = st.text_area(
        "Tweet",
        key="tweet",
        height=110,
        placeholder="@AmazonHelp where is my order?",
    )
    if st.button("Predict", type="primary", key="predict"):
        st.session_state["predicted_text"] = text
    with st.container(horizontal=True, key="examples", vertical_alignment="center"):
        st.caption("Or try:", width="content")
        for example in app_tweet.EXAMPLE_TWEETS:
            st.button(
                example.title,
                key=f"example_{example.title}",
                help=example.text,
                on_click=use_example,
                args=(example.text,),
                type="tertiary",
            )
    predicted = st.session_state.get("predicted_text")
    if predicted is None:
        return
    if predicted != text:
        # The result was for another text: it is cleared, not shown beside the new one.
        st.info("The text has changed since the last prediction: press **Predict** to label it.", icon="✏️")
        return
    show_prediction(model, predicted)


def show_prediction(model: TextClassifier, raw: str) -> None:
    prepared = app_tweet.prepare_text(raw, MAX_CHARS)
    if inference.blank_mask(model, [prepared.text])[0]:
        st.warning(
            "There is nothing to label: the text is empty, or nothing is left of it once normalised "
            "(only spaces). Type or paste a tweet first."
        )
        return
    scores = inference.explain_words(model, prepared.text)
    read = app_tweet.reading_note(len(scores.words), scores.read, model.max_tokens_read)
    if prepared.cut or read:
        cut = (
            f"The text has {prepared.original_chars:,} characters: only its first {MAX_CHARS:,} went to the model."
            if prepared.cut
            else ""
        )
        st.info(" ".join(filter(None, [cut, read])))
    if not user_csv.has_word_characters(prepared.text):
        st.info("The text has no letters or digits (only emoji or symbols): the model has little to go on.")
    pred = inference.predict(model, [prepared.text])[0]
    with st.container(key="prediction", border=True):
        st.subheader(pred.label_text, anchor=False)
        st.markdown(app_tweet.probability_line(pred.label, pred.p_inbound))
    st.markdown("**Which words pushed the decision**")
    if not scores.words:
        st.caption("This model gives no word scores for this text.")
        return
    with st.container(key="highlight"):
        show_highlight(model, scores, note=False)
    st.markdown(app_tweet.legend_html(), unsafe_allow_html=True)
    st.caption(model.importance_explanation + " Words appear as the model reads them: lower-cased, links as `xxurl`.")
    with st.expander("Scores of the strongest words"):
        st.dataframe(app_tweet.importance_frame(scores.pairs()), hide_index=True)


page()
