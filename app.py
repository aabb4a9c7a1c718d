"""Customer query or company reply? The Streamlit app over the pipeline's models.

Run it with ``make app`` (``streamlit run app.py``). Four pages, each at its own URL
(``/``, ``/csv``, ``/models``, ``/mistakes``), linked from a bar at the top of every
page that stays visible on a phone. The pages (``app_pages/``) serve ``models/selected``
or any trained model through :mod:`twcs_classifier.serving`, the same code as the CLI,
and read ``models/``, ``metrics/``, ``plots/`` and ``reports/`` under
``$TWCS_PROJECT_DIR`` (default: this file's directory).
"""

from __future__ import annotations

import streamlit as st

PAGES = [
    st.Page("app_pages/one_tweet.py", title="One tweet", icon=":material/chat:", url_path="tweet", default=True),
    st.Page("app_pages/csv_file.py", title="A CSV", icon=":material/table_view:", url_path="csv"),
    st.Page("app_pages/models.py", title="Models", icon=":material/monitoring:", url_path="models"),
    st.Page("app_pages/mistakes.py", title="Mistakes", icon=":material/report:", url_path="mistakes"),
]
# Less empty space above the page than Streamlit's default (6rem), so a phone shows more of it; the
# example tweets ("Or try") wrap on a phone into rows as close as words, not a form's rows apart; and a
# long unbroken value in the card (its SHA-256) wraps in its cell instead of widening the table past
# the screen.
COMPACT = (
    "<style>[data-testid='stMainBlockContainer'] { padding-top: 3rem; }"
    " .st-key-examples { row-gap: 0.25rem !important; column-gap: 0.75rem !important; }"
    " .st-key-examples button { min-height: 1.75rem; padding-top: 0; padding-bottom: 0; }"
    " .st-key-model_card td, .st-key-model_card td * { overflow-wrap: anywhere !important; }</style>"
)

st.set_page_config(page_title="Customer query or company reply?", page_icon="💬", layout="wide")
page = st.navigation(PAGES, position="hidden")
st.html(COMPACT)
st.markdown("**Customer query or company reply?**")
with st.container(horizontal=True, key="nav", gap="small"):
    for target in PAGES:
        st.page_link(target)
page.run()
