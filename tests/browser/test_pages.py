"""Browser smoke tests (dash_duo, headless Chromium): every page draws with an empty
console, filters update counts and figures, links restore the view, downloads hold
exactly the filtered rows. Screenshots (1440 x 900) go to tests/browser/screenshots/.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from analysis.data import registry
from analysis.selection import FilterSpec, apply_filters
from components import ids

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parent / "screenshots"
PAGES = ids.PAGE_READY
COUNTS = "#flt-group-counts"


def _wait_drawn(dash_duo, selector: str, timeout: float = 30):
    dash_duo.wait_for_element(selector, timeout=timeout)
    # no dcc.Loading spinner left on the page
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-spinner, ._dash-loading"):
            return
        time.sleep(0.2)


def _counts(dash_duo) -> str:
    dash_duo.wait_for_contains_text(COUNTS, "patients selected", timeout=30)
    return dash_duo.find_element(COUNTS).text


def _selected_n(text: str) -> int:
    return int(text.split(" patients selected")[0].replace(",", "").strip())


def test_every_page_renders_with_empty_console(dash_duo, start_app):
    start_app(1440, 900)
    SHOTS.mkdir(exist_ok=True)
    for name, (path, ready) in PAGES.items():
        dash_duo.wait_for_page(url=dash_duo.server_url + path, timeout=30)
        _wait_drawn(dash_duo, ready)
        _counts(dash_duo)
        dash_duo.driver.save_screenshot(str(SHOTS / f"{name}.png"))
        assert dash_duo.get_logs() == [], name


def test_filter_change_updates_counts_figure_and_url(dash_duo, start_app):
    start_app(1440, 900)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/", timeout=30)
    _wait_drawn(dash_duo, PAGES["overview"][1])
    before = _selected_n(_counts(dash_duo))
    expected = apply_filters(registry.active().frame,
                             FilterSpec(categories=(("sex", ("male",)),))).n
    label = dash_duo.driver.find_element(
        By.XPATH, "//div[@aria-labelledby='flt-cat-sex-label']//label[normalize-space()='female']")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", label)
    label.click()
    dash_duo.wait_for_contains_text(COUNTS, f"{expected:,} patients selected", timeout=30)
    assert expected < before
    dash_duo.wait_for_contains_text("#ov-ls-means-caption", "Sex: male", timeout=30)
    assert "sex=male" in dash_duo.driver.current_url
    # back restores the unfiltered view
    dash_duo.driver.back()
    dash_duo.wait_for_contains_text(COUNTS, f"{before:,} patients selected", timeout=30)
    assert dash_duo.get_logs() == []


def test_copied_link_restores_view_in_fresh_browser(dash_duo, start_app):
    start_app(1440, 900)
    link = dash_duo.server_url + "/comparison?age=50-70&sex=male&outcome=delta_tav&means=raw"
    expected = apply_filters(registry.active().frame, FilterSpec.from_query(
        "age=50-70&sex=male")).n
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,900"):
        options.add_argument(arg)
    fresh = webdriver.Chrome(options=options)
    try:
        fresh.get(link)
        deadline = time.time() + 30
        text = ""
        while time.time() < deadline:
            text = fresh.find_element(By.CSS_SELECTOR, COUNTS).text if fresh.find_elements(
                By.CSS_SELECTOR, COUNTS) else ""
            if f"{expected:,} patients selected" in text:
                break
            time.sleep(0.3)
        assert f"{expected:,} patients selected" in text
        raw = fresh.find_element(By.XPATH, "//input[@type='radio' and @value='raw']")
        assert raw.is_selected()
        tav = fresh.find_element(By.XPATH, "//input[@type='radio' and @value='delta_tav']")
        assert tav.is_selected()
    finally:
        fresh.quit()


def test_csv_download_holds_exactly_the_filtered_rows(dash_duo, start_app):
    start_app(1440, 900)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/data?age=50-70", timeout=30)
    _wait_drawn(dash_duo, PAGES["data"][1])
    expected = apply_filters(registry.active().frame, FilterSpec(ranges=(("age", 50, 70),)))
    button = dash_duo.find_element("#data-csv")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    folder = Path(dash_duo.download_path)
    deadline = time.time() + 30
    files = []
    while time.time() < deadline:
        files = [f for f in folder.glob("*.zip")]
        if files and not list(folder.glob("*.crdownload")):
            break
        time.sleep(0.3)
    assert len(files) == 1
    with zipfile.ZipFile(io.BytesIO(files[0].read_bytes())) as zf:
        frame = pd.read_csv(zf.open("data.csv"))
        provenance = zf.read("provenance.txt").decode()
    assert sorted(frame["patient_id"]) == sorted(expected.frame["patient_id"])
    assert f"rows: {expected.n}" in provenance
    assert dash_duo.get_logs() == []


def test_figure_exports_svg_and_png_from_its_modebar(dash_duo, start_app):
    start_app(1440, 900)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/", timeout=30)
    _wait_drawn(dash_duo, PAGES["overview"][1])
    graph = "#ov-ls-means"
    titles = [b.get_attribute("data-title") for b in dash_duo.driver.find_elements(
        By.CSS_SELECTOR, f"{graph} .modebar-btn")]
    assert "Download plot as SVG" in titles
    assert not any("Share" in (t or "") for t in titles)  # no upload to Plotly's cloud
    button = dash_duo.find_element(f"{graph} .modebar-btn[data-title='Download plot as SVG']")
    dash_duo.driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', "
                                   "{bubbles: true}))", button)
    folder = Path(dash_duo.download_path)
    deadline = time.time() + 20
    while time.time() < deadline and not list(folder.glob("*.svg")):
        time.sleep(0.3)
    svgs = list(folder.glob("dpav_ls_means_*.svg"))
    assert len(svgs) == 1
    svg = svgs[0].read_text()
    assert svg.lstrip().startswith("<svg")
    # the export carries the figure's caption as a band below the plot: its model line
    # and the simulated-data label (the caption under the figure on the page holds both)
    shown = dash_duo.find_element("#ov-ls-means-caption").text
    assert "Simulated data calibrated" in shown and "Simulated data calibrated" in svg
    assert "ANCOVA" in shown and "ANCOVA" in svg
    # the camera is ours (with the caption), plotly's own is gone
    assert "Download plot as PNG (high resolution, with its caption)" in titles
    assert "Download plot as a png" not in titles
    assert dash_duo.get_logs() == []


def test_page_option_in_url_and_back(dash_duo, start_app):
    start_app(1440, 900)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/progression", timeout=30)
    _wait_drawn(dash_duo, PAGES["progression"][1])
    assert dash_duo.driver.title.startswith("Progression")
    ecdf = dash_duo.driver.find_element(By.XPATH, "//label[normalize-space()='Cumulative (ECDF)']")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", ecdf)
    ecdf.click()
    dash_duo.wait_for_contains_text("#pr-distribution", "Cumulative proportion", timeout=30)
    assert "chart=ecdf" in dash_duo.driver.current_url
    dash_duo.driver.back()
    deadline = time.time() + 20
    radio = None
    while time.time() < deadline:
        radio = dash_duo.driver.find_element(By.XPATH, "//input[@value='histogram']")
        if radio.is_selected():
            break
        time.sleep(0.2)
    assert radio is not None and radio.is_selected()
    dash_duo.wait_for_contains_text("#pr-distribution", "Density", timeout=30)
    assert dash_duo.get_logs() == []


def test_navbar_link_keeps_the_filters(dash_duo, start_app):
    start_app(1440, 900)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?sex=male", timeout=30)
    _wait_drawn(dash_duo, PAGES["overview"][1])
    expected = apply_filters(registry.active().frame, FilterSpec.from_query("sex=male"))
    link = dash_duo.driver.find_element(By.XPATH, "//a[normalize-space()='Baseline']")
    assert link.get_attribute("href").endswith("/baseline?sex=male")
    link.click()
    _wait_drawn(dash_duo, PAGES["baseline"][1])
    assert dash_duo.driver.current_url.endswith("/baseline?sex=male")
    n = expected.n_by_group
    dash_duo.wait_for_contains_text("#bl-table-1", f"No calcification (n={n['none']:,})",
                                    timeout=30)
    assert dash_duo.driver.title.startswith("Baseline")
    assert dash_duo.get_logs() == []


def _navbar_fits(driver) -> bool:
    """Every navbar item on one line: nothing overflows and the bar stays one row high."""
    return driver.execute_script("""
        const bar = document.querySelector('.explorer-navbar .container-fluid');
        const items = Array.from(bar.children).filter((e) => e.offsetParent !== null);
        const tops = items.map((e) => e.getBoundingClientRect().top);
        const bottoms = items.map((e) => e.getBoundingClientRect().bottom);
        return bar.scrollWidth <= bar.clientWidth
            && Math.max(...tops) < Math.min(...bottoms);
    """)


def test_lsmean_weights_from_link_disabled_for_raw(dash_duo, start_app):
    start_app(1440, 900)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?weights=equal", timeout=30)
    _wait_drawn(dash_duo, PAGES["overview"][1])
    equal = dash_duo.driver.find_element(By.XPATH, "//input[@name='weights' and @value='equal']")
    assert equal.is_selected() and equal.is_enabled()
    dash_duo.wait_for_contains_text("#ov-headline", "equal weights", timeout=30)
    SHOTS.mkdir(exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "navbar_weights.png"))
    assert _navbar_fits(dash_duo.driver)
    # keyboard: arrow key in the radio group goes back to proportional, and into the URL
    equal.send_keys(Keys.ARROW_LEFT)
    dash_duo.wait_for_contains_text("#ov-headline", "proportional weights", timeout=30)
    assert "weights=" not in dash_duo.driver.current_url
    dash_duo.driver.find_element(By.XPATH, "//label[normalize-space()='Raw']").click()
    deadline = time.time() + 20
    while time.time() < deadline and equal.is_enabled():
        time.sleep(0.2)
    assert not equal.is_enabled()
    dash_duo.driver.find_element(By.XPATH, "//label[normalize-space()='Presentation']").click()
    time.sleep(0.5)
    dash_duo.driver.save_screenshot(str(SHOTS / "navbar_weights_presentation.png"))
    assert _navbar_fits(dash_duo.driver)
    assert dash_duo.get_logs() == []


def test_sensitivity_runs_on_demand_with_empty_console(dash_duo, start_app):
    start_app()
    dash_duo.wait_for_page(url=dash_duo.server_url + "/comparison?age=50-70", timeout=30)
    _wait_drawn(dash_duo, PAGES["comparison"][1])
    _wait_drawn(dash_duo, "#cmp-diag-table")  # the page above the section has settled
    # nothing computed until the button is pressed
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#cmp-sens-numbers")
    button = dash_duo.find_element("#cmp-sens-run")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    dash_duo.wait_for_element("#cmp-sens-run", timeout=10)
    time.sleep(0.5)  # let the scroll finish before clicking
    button.click()
    dash_duo.wait_for_element("#cmp-sens-numbers", timeout=90)
    dash_duo.wait_for_contains_text("#cmp-sens-forest", "Robust SE (HC3)", timeout=30)
    dash_duo.wait_for_contains_text("#cmp-sens-balance", "After weighting", timeout=30)
    SHOTS.mkdir(exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "comparison_sensitivity.png"))
    assert dash_duo.get_logs() == []


def test_export_dialog_ticks_the_sensitivity_section_on_the_comparison(dash_duo, start_app):
    start_app()
    for path, ticked in (("/comparison", True), ("/therapy", False)):
        dash_duo.wait_for_page(url=dash_duo.server_url + path, timeout=30)
        _wait_drawn(dash_duo, PAGES[path.strip("/")][1])
        dash_duo.find_element("#export-open").click()
        dash_duo.wait_for_element("#export-kit-sensitivity", timeout=15)
        deadline = time.time() + 15        # the dialog's callback sets the box
        box = dash_duo.find_element("#export-kit-sensitivity")
        while box.is_selected() != ticked and time.time() < deadline:
            time.sleep(0.2)
        assert box.is_selected() is ticked, path
        assert "Include the Sensitivity section" in dash_duo.find_element("#export-modal").text
        assert dash_duo.get_logs() == [], path
