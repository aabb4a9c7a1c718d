"""The app in a real browser: Debian's Chromium driven by Playwright, at a desktop's
1400×900 and a phone's 390×844.

A real `streamlit run app.py` serves the models of the ``built_project`` fixture on a
free localhost port. At both sizes the tests reach every page by its link and by its URL,
type a tweet (the box above the fold), press Predict and read the label and the
probabilities off the page, edit the text and see the result go; upload a CSV with a label
column, read the accuracy and save the download; open the Models page (no confusion matrix
cut) and the Mistakes page. A screenshot of each test's whole page
(``test-artifacts/<test>[desktop|phone].png``), the downloaded CSV and the server's log are
kept under ``test-artifacts/`` (git-ignored; CI keeps them). The last test opens the page
`dvc plots show` writes, with the network refused, and reads the drawn charts.

Every check of something an action draws waits for it with Playwright's auto-retrying
``expect`` (the element located by the key the page gives it), never reads the page at the
instant after the action: Streamlit draws a run's elements one by one and keeps the last
run's elements on the page until the new run ends.

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
from playwright.sync_api import expect

from twcs_classifier import LABEL_TEXT, app_tables, app_tweet, artifacts, inference, serving
from twcs_classifier.evaluation import CONDITIONS
from twcs_classifier.layout import Layout

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
expect.set_options(timeout=STEP_MS)  # how long an `expect` waits for the page to show what it asserts
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


VIEWPORTS = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
PAGES = {"One tweet": "", "A CSV": "csv", "Models": "models", "Mistakes": "mistakes"}
HEADINGS = {"One tweet": "One tweet", "A CSV": "A CSV of tweets", "Models": "Models", "Mistakes": "Mistakes"}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    return VIEWPORTS[request.param]


@pytest.fixture
def page(browser, app_url: str, viewport: dict[str, int], request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh tab on the app at ``viewport``; how the whole page looked at the end of the
    test (passed or not) is kept as ``test-artifacts/<test name>.png``."""
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(STEP_MS)
    tab.goto(app_url)
    try:
        yield tab
    finally:
        save_screenshot(tab, viewport, ARTIFACTS / f"{request.node.name}.png")
        context.close()


def save_screenshot(tab, viewport: dict[str, int], path: Path) -> None:
    """The whole page: Streamlit scrolls inside its own container, so the window is made as
    tall as the content first."""
    try:
        height = tab.evaluate("document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight")
        tab.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], int(height) + 120)})
        tab.wait_for_timeout(1500)
    except Exception:  # noqa: BLE001  (a screenshot of what there is beats none)
        pass
    tab.screenshot(path=str(path))


@pytest.fixture(scope="module")
def selected_model(built_project: Path):
    return inference.load_selected(built_project / "models" / "selected")


def heading(page, name: str):
    return page.get_by_role("heading", name=HEADINGS[name], exact=True)


def run_finished(page, timeout: float = MODEL_LOAD_MS) -> None:
    """Wait until the app's script run is over (Streamlit marks its root ``stApp`` with the
    run's state), so the page is drawn whole before it is measured. Call it after waiting for
    something the run draws, so the run waited for is the one the action started. Elements
    of the last run may linger a moment longer: check their absence with ``to_have_count(0)``."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


def go_to(page, name: str) -> None:
    """Click the page's link in the bar at the top (visible at every size, no menu to open)
    and wait until that page is drawn."""
    link = page.get_by_test_id("stPageLink").get_by_text(name, exact=True)
    link.click(timeout=MODEL_LOAD_MS)
    heading(page, name).wait_for(timeout=MODEL_LOAD_MS)
    run_finished(page)


def test_every_page_has_a_link_in_view_and_its_own_url(
    page, app_url: str, built_project: Path, viewport: dict[str, int]
) -> None:
    heading(page, "One tweet").wait_for(timeout=MODEL_LOAD_MS)
    run_finished(page)
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)  # nothing hides behind a menu
    for name, path in PAGES.items():
        go_to(page, name)
        expect(page).to_have_url(re.compile("^" + re.escape(f"{app_url}/{path}".rstrip("/")) + "/?$"))
        for other in PAGES:
            box = page.get_by_test_id("stPageLink").get_by_text(other, exact=True).bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert str(built_project) not in page.content()  # no server paths on the page
    page.goto(f"{app_url}/models")  # a deep link
    heading(page, "Models").wait_for(timeout=MODEL_LOAD_MS)


def test_type_a_tweet_and_read_the_label_and_probabilities(page, selected_model, viewport: dict[str, int]) -> None:
    box = page.get_by_label("Tweet", exact=True)
    box.wait_for(timeout=MODEL_LOAD_MS)
    run_finished(page)
    bounds = box.bounding_box()
    assert bounds["y"] + bounds["height"] <= viewport["height"], "the tweet box is below the fold"
    box.fill(TWEET)
    page.get_by_role("button", name="Predict", exact=True).click()

    expected = inference.predict(selected_model, [TWEET])[0]
    assert expected.label_text in LABEL_TEXT.values()
    result = page.locator(".st-key-prediction")  # the container the page keys "prediction"
    # The label (the subheader) and the probability line (the one st.markdown) in it, each
    # waited for with its text: the line is drawn after the label.
    expect(result.locator("h3")).to_have_text(expected.label_text, use_inner_text=True)
    line = app_tweet.probability_line(expected.label, expected.p_inbound).replace("**", "")
    expect(result.get_by_test_id("stMarkdown")).to_have_text(line, use_inner_text=True)

    highlight = page.locator(".twcs-highlight")
    tokens = [token for token, _ in selected_model.token_importance(TWEET)]
    expect(page.locator(".st-key-highlight .twcs-highlight .twcs-token")).to_have_text(tokens, use_inner_text=True)

    box.fill("@123 Sorry about that, please DM us ^JK")
    box.press("Control+Enter")  # Streamlit takes the new text; Predict is not pressed
    page.get_by_text("The text has changed since the last prediction").wait_for()
    # The old result stays on the page, faded, until the run ends: wait for it to go.
    expect(result).to_have_count(0)
    expect(highlight).to_have_count(0)


def test_upload_a_csv_with_labels_and_download_the_result(page) -> None:
    go_to(page, "A CSV")
    page.get_by_text(f"of at most {UPLOAD_CAP_MB} MB", exact=False).wait_for()
    data = pd.DataFrame({"id": ["a", "b", "c"], "text": CSV_TEXTS, "inbound": ["True", "False", "True"]})
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "tweets.csv", "mimeType": "text/csv", "buffer": data.to_csv(index=False).encode()}]
    )
    page.get_by_role("button", name="Label the tweets").click(timeout=MODEL_LOAD_MS)
    download_button = page.get_by_role("button", name="Download the labelled CSV")
    download_button.wait_for()
    page.get_by_role("heading", name="Labelled by selected", exact=False).wait_for()
    scores = page.locator(".st-key-csv_scores")  # the figures against the label column, drawn after the heading
    accuracy = scores.get_by_test_id("stMetric").filter(has_text="Accuracy").get_by_test_id("stMetricValue")
    expect(accuracy).to_have_text(re.compile(r"%\s*$"), use_inner_text=True)
    with page.expect_download() as info:
        download_button.click()
    saved = ARTIFACTS / "browser-download.csv"
    info.value.save_as(saved)
    assert info.value.suggested_filename == "tweets_labelled.csv"

    got = pd.read_csv(io.BytesIO(saved.read_bytes()))
    assert got.columns.tolist() == ["id", "text", "inbound", *serving.OUTPUT_COLUMNS]
    assert got["text"].tolist() == CSV_TEXTS  # exact, for programs (the other download is for a spreadsheet)
    assert set(got["predicted_label"]) <= {"inbound", "outbound"}
    assert (got["p_inbound"] + got["p_outbound"]).round(6).eq(1.0).all()
    right = (got["predicted_label"] == got["inbound"].map({True: "inbound", False: "outbound"})).mean()
    expect(accuracy).to_have_text(app_tables.format_rate(round(right * 3), 3), use_inner_text=True)


def test_models_page_draws_the_charts_and_cuts_no_table(page, built_project: Path) -> None:
    go_to(page, "Models")
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(5)  # three reliability diagrams (one per condition tab), ROC, precision-recall
    charts.nth(2).locator("canvas, svg").first.wait_for()  # the random split's three charts
    page.get_by_role("heading", name="The selected model's card").wait_for()
    tables = page.get_by_test_id("stTable")
    # A confusion matrix per model and condition (in the condition tabs), then the card.
    matrices = len(artifacts.compared_models(Layout(built_project))) * len(CONDITIONS)
    assert matrices >= 3
    expect(tables).to_have_count(matrices + 1)
    for k in range(matrices + 1):
        table = tables.nth(k)
        if table.is_visible():  # the random split's matrices and the card (other tabs are hidden)
            wide, room = table.evaluate("t => [t.querySelector('table').scrollWidth, t.clientWidth]")
            assert wide <= room + 1, f"table {k} is cut: {wide} px in {room} px"  # the card's SHA-256 wraps


def test_mistakes_page_shows_highlighted_errors(page) -> None:
    go_to(page, "Mistakes")
    page.locator(".twcs-highlight").first.wait_for(timeout=MODEL_LOAD_MS)
    assert page.locator(".twcs-highlight").count() >= 1
    page.get_by_text("mistakes of", exact=False).first.wait_for()


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
        expect(charts).to_have_count(len(titles))
        # vega-embed draws each chart on its own, in no set order, and a chart's svg is there
        # before its marks: wait for marks in every chart (vega draws a chart's scene, titles
        # and legends included, in one pass).
        for k in range(len(titles)):
            charts.nth(k).locator(DRAWN_MARKS).first.wait_for(state="attached", timeout=STEP_MS)
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
