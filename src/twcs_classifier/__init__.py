"""Tell inbound customer queries from outbound company replies in the twcs dataset.

The package holds every idea of the project once: text normalisation (:mod:`.text`),
reading and validating twcs.csv (:mod:`.extract`), leak-free splitting (:mod:`.sampling`),
the vocabulary (:mod:`.tokenizer`), the models behind one interface (:mod:`.models`),
the metrics (:mod:`.metrics`) and serving (:mod:`.serving`). The scripts in ``stages/``
and the Streamlit app only wire these together.
"""

LABELS: tuple[str, str] = ("outbound", "inbound")
"""Class names by label id: 0 is a company reply, 1 is a customer query."""

LABEL_TEXT: dict[str, str] = {
    "inbound": "Customer query (inbound)",
    "outbound": "Company reply (outbound)",
}
"""How each class is shown to a person."""

__all__ = ["LABELS", "LABEL_TEXT"]
