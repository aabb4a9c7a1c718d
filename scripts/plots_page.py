"""Build the HTML page `dvc plots show` fills (plots.html_template in .dvc/config).

Reads the skeleton .dvc/plots/page.in.html and replaces each `<!-- INLINE: <file> -->` line
with that file from node_modules/ (vega, vega-lite and vega-embed, which `npm ci` installs
from package-lock.json) inside a <script> element, so the page DVC writes draws its charts
with no network. Writes .dvc/plots/page.html (git-ignored; `make setup` runs this).

Usage: python scripts/plots_page.py [--modules node_modules] [--skeleton ...] [--out ...]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^(?P<indent>[ \t]*)<!-- INLINE: (?P<file>[\w./-]+) -->[ \t]*$", re.MULTILINE)


def inline_script(modules: Path, file: str) -> str:
    """One <script> element holding ``modules/file``, headed by its package's name and version."""
    path = modules / file
    if not path.is_file():
        raise SystemExit(f"error: {path} is missing: install the page's JavaScript with `make setup` (npm ci)")
    package = json.loads((modules / file.split("/", 1)[0] / "package.json").read_text(encoding="utf-8"))
    code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")  # cannot end the element early
    return f"<script>/* {package['name']} {package['version']} ({file}) */\n{code}\n</script>"


def build_page(skeleton: str, modules: Path) -> str:
    """``skeleton`` with every INLINE marker replaced by its script."""
    if not MARKER.search(skeleton):
        raise SystemExit("error: the page skeleton has no <!-- INLINE: ... --> marker")
    return MARKER.sub(lambda m: inline_script(modules, m.group("file")), skeleton)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=Path, default=ROOT / "node_modules")
    parser.add_argument("--skeleton", type=Path, default=ROOT / ".dvc/plots/page.in.html")
    parser.add_argument("--out", type=Path, default=ROOT / ".dvc/plots/page.html")
    args = parser.parse_args(argv)
    page = build_page(args.skeleton.read_text(encoding="utf-8"), args.modules)
    args.out.write_text(page, encoding="utf-8")
    print(f"{args.out}: {len(page.encode()) / 1e6:.1f} MB, vega inlined")
    return 0


if __name__ == "__main__":
    sys.exit(main())
