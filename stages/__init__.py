"""Stage scripts of the DVC pipeline, run as ``python -m stages.<stage>`` from the repo root.

Run as modules, so ``stages/select.py`` cannot shadow the standard library's ``select``.
"""
