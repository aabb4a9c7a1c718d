"""The pages of the Streamlit app (``app.py`` puts them in its navigation, one URL each).

Each page file is a script Streamlit runs; :mod:`app_pages.common` holds what they share
(the project's paths, loading a model once, the model picker, error messages). What a page
shows is decided in :mod:`twcs_classifier.app_tweet`, :mod:`~twcs_classifier.app_tables`,
:mod:`~twcs_classifier.app_curves` and :mod:`~twcs_classifier.app_text`; the pages only lay it out.
"""
