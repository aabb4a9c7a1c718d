"""The app in a real browser: Debian's Chromium driven by Playwright.

A real `streamlit run app.py` serves the models of the ``built_project`` fixture on a
free localhost port. The tests type a tweet, press Predict and read the label and the
confidence off the page; upload a small CSV and save the download; and open the Models
page. A screenshot of each test's page, the downloaded CSV and the server's log are kept
under ``test-artifacts/`` (git-ignored; CI keeps them). The last test opens the page
`dvc plots show` writes, with the network refused, and reads the drawn charts.

The browser is the system one (``scripts/install-browser.sh`` installs ``chromium`` and
``chromium-driver``); nothing is downloaded at test time. Without it these tests skip on
a developer's machine and fail in CI.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import EPOCH_MODELS, IN_CI, MODELS, dvc

from twcs_classifier import LABEL_TEXT, app_view, serving
from twcs_classifier.files import escape_formula

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_S = 120
MODEL_LOAD_MS = 180_000  # the first page view loads a TensorFlow model: slow on two cores
STEP_MS = 60_000
TWEET = "@AmazonHelp my order was due yesterday and the tracking has not moved in 4 days, where is it?"
UPLOAD_CAP_MB = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
CSV_TEXTS = [
    "@AcmeMobile and how exactly am I meant to do that",
    "@424242 I see. We would like to help you. Please send us a DM.",
    "@AppleSupport my phone keeps restarting, what do I do?",
]


def require_chromium() -> None:
    """Skip without the system Chromium, except in CI, which must have it."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: run scripts/install-browser.sh"
    if IN_CI:
        pytest.fail(message + " (CI must install it)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll Streamlit's health endpoint until it answers ``ok``; fail if the server dies."""
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(f"streamlit did not answer on {url} within {SERVER_START_S} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def app_url(built_project: Path) -> Iterator[str]:
    """A real Streamlit server for app.py on the built project, stopped afterwards."""
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    url = f"http://localhost:{port}"
    log = ARTIFACTS / "streamlit-server.log"
    env = {**os.environ, "TWCS_PROJECT_DIR": str(built_project), "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(url, server, log)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    assert "Traceback" not in log.read_text(errors="replace"), f"the server logged an error; see {log}"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, app_url: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh tab on the app; how the page looked at the end of the test (passed or not)
    is kept as ``test-artifacts/<test name>.png``."""
    context = browser.new_context(viewport={"width": 1280, "height": 1800}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(STEP_MS)
    tab.goto(app_url)
    try:
        yield tab
    finally:
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()


@pytest.fixture(scope="module")
def selected_model(built_project: Path):
    return serving.load_selected(built_project / "models" / "selected")


def go_to(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=name if name != "A CSV" else "A CSV of tweets", exact=True).wait_for()


def test_type_a_tweet_and_read_the_label_and_confidence(page, selected_model) -> None:
    box = page.get_by_label("Tweet", exact=True)
    box.wait_for(timeout=MODEL_LOAD_MS)
    box.fill(TWEET)
    page.get_by_role("button", name="Predict", exact=True).click()

    result = page.locator(".st-key-prediction")
    result.get_by_test_id("stMetricValue").first.wait_for()
    label = result.locator("h3").inner_text().strip()
    names = [t.strip() for t in result.get_by_test_id("stMetricLabel").all_inner_texts()]
    values = [t.strip() for t in result.get_by_test_id("stMetricValue").all_inner_texts()]
    metrics = dict(zip(names, values))

    expected = serving.predict(selected_model, [TWEET])[0]
    assert label == expected.label_text and label in LABEL_TEXT.values()
    assert metrics["Confidence"] == app_view.format_percent(expected.confidence)
    assert metrics[f"P({label})"] == metrics["Confidence"]

    highlight = page.locator(".twcs-highlight")
    highlight.wait_for()
    tokens = highlight.locator(".twcs-token").all_inner_texts()
    assert tokens == [token for token, _ in selected_model.token_importance(TWEET)]


def test_upload_a_csv_and_download_the_labels(page) -> None:
    go_to(page, "A CSV")
    page.get_by_text(f"of at most {UPLOAD_CAP_MB} MB", exact=False).wait_for()
    data = pd.DataFrame({"id": ["a", "b", "c"], "text": CSV_TEXTS}).to_csv(index=False).encode()
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "tweets.csv", "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name="Label the tweets").click(timeout=MODEL_LOAD_MS)
    download_button = page.get_by_role("button", name="Download the labelled CSV")
    download_button.wait_for()
    with page.expect_download() as info:
        download_button.click()
    saved = ARTIFACTS / "browser-download.csv"
    info.value.save_as(saved)
    assert info.value.suggested_filename == "tweets_labelled.csv"

    got = pd.read_csv(io.BytesIO(saved.read_bytes()))
    assert got.columns.tolist() == ["id", "text", *serving.OUTPUT_COLUMNS]
    assert got["text"].tolist() == [escape_formula(t) for t in CSV_TEXTS]  # safe to open in a spreadsheet
    assert set(got["predicted_label"]) <= {"inbound", "outbound"}
    assert (got["p_inbound"] + got["p_outbound"]).round(6).eq(1.0).all()


def test_models_page_draws_the_charts(page) -> None:
    go_to(page, "Models")
    charts = page.get_by_test_id("stVegaLiteChart")
    charts.first.wait_for()
    charts.nth(4).locator("canvas, svg").first.wait_for()
    assert charts.count() == 5  # three reliability diagrams, ROC, precision-recall
    page.get_by_role("heading", name="The selected model's card").wait_for()


# -- dvc plots show, offline ---------------------------------------------------------------------------
PLOTS_PAGE = REPO / ".dvc" / "plots" / "page.html"
DRAWN_MARKS = "g.role-mark.mark-line path, g.role-mark.mark-rect path, g.role-mark.mark-symbol path"
CONFUSION_LABEL = re.compile(r"^\d[\d,]* \(\d{1,3}\.\d%\)$")


def test_dvc_plots_show_draws_every_plot_without_a_network(built_project: Path, browser, tmp_path: Path) -> None:
    """`dvc plots show` with the project's page (vega inlined by `make setup`) opened in Chromium
    with every request but the file itself refused: each plot of dvc.yaml is drawn, with one
    colour per model and whole legend labels, counts and rates in the confusion matrices, and
    the diagonal and bin counts in the reliability diagrams."""
    if not PLOTS_PAGE.is_file():
        pytest.fail(f"{PLOTS_PAGE} is missing: `make setup` builds it (npm ci, scripts/plots_page.py)")
    out = tmp_path / "dvc_plots"
    dvc("plots", "show", "--html-template", str(PLOTS_PAGE), "-o", str(out), cwd=built_project)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in html and "cdn.jsdelivr" not in html
    titles = [next(iter(plot)) for plot in yaml.safe_load((REPO / "dvc.yaml").read_text())["plots"]]

    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    refused: list[str] = []

    def refuse_the_network(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", refuse_the_network)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto((out / "index.html").as_uri())
        charts = page.locator(".vega-embed")
        charts.nth(len(titles) - 1).locator("svg.marks").wait_for(timeout=STEP_MS)
        assert charts.count() == len(titles)
        drawn = {}
        for k in range(len(titles)):
            chart = charts.nth(k)
            texts = chart.locator("g.role-title-text text").all_text_contents()  # facet and panel titles too
            drawn.update({text: chart for text in texts if text in titles})
        assert sorted(drawn) == sorted(titles)
        for title, chart in drawn.items():
            assert chart.locator(DRAWN_MARKS).count() > 0, title
            labels = chart.locator("g.role-legend-label text").all_text_contents()
            assert not any("…" in label for label in labels), (title, labels)  # nothing cut
            if title.startswith(("ROC", "Precision-recall", "Reliability")):
                assert set(MODELS) <= set(labels), (title, labels)  # one legend entry, one colour per model
                colours = {p.get_attribute("stroke") for p in chart.locator("g.role-mark.mark-line path").all()}
                assert len(colours - {"none", None}) >= len(MODELS), title
            if title.startswith("Confusion matrix"):
                texts = chart.locator("g.role-mark.mark-text text").all_text_contents()
                assert len(texts) == 4 and all(CONFUSION_LABEL.match(t) for t in texts), texts
            if title.startswith("Reliability"):
                assert chart.locator("g.role-mark.mark-rule line").count() >= 1  # the diagonal
                assert "tweets in bin" in chart.locator("g.role-legend-title text").all_text_contents()
            if title.startswith("Training"):
                assert {"training", "validation", *EPOCH_MODELS} <= set(labels), labels
        page.screenshot(path=str(ARTIFACTS / "dvc-plots.png"), full_page=True)
    finally:
        context.close()
    assert refused == [] and errors == []
