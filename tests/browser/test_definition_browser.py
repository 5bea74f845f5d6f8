"""Browser test of the definition explorer (headless Chromium): it draws with an empty
console, moving the arc slider writes spotty_arc into the link and regroups the patients
(flow table, counts), and another page then follows the definition."""

from __future__ import annotations

import time

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from analysis.data import registry
from components import ids

pytestmark = pytest.mark.browser

PATH, READY = ids.PAGE_READY["definition"]


def _spotty_n(arc: float) -> int:
    """Spotty patients at arc < ``arc`` (1-4 mm, no other calcium), by plain pandas."""
    ds = registry.active()
    les = ds.lesions
    sp = (les["arc_deg"] < arc) & les["length_mm"].between(1, 4)
    per = sp.groupby(les["patient_id"].astype(str)).agg(["any", "all"])
    return int((per["any"] & per["all"]).sum())


def _text(dash_duo, css: str) -> str:
    """The element's text, or "" while the page is replacing it (each slider step
    redraws the flow table, so a found element can go stale before it is read)."""
    try:
        return dash_duo.find_element(css).text
    except StaleElementReferenceException:
        return ""


def _wait(predicate, timeout: float = 30) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_moving_the_arc_slider_changes_the_link_and_the_flow_table(dash_duo, start_app):
    start_app(1440, 900)
    dash_duo.wait_for_page(url=dash_duo.server_url + PATH, timeout=30)
    dash_duo.wait_for_element(READY, timeout=60)
    dash_duo.wait_for_contains_text("#def-flow-counts", "922", timeout=30)
    before = dash_duo.find_element("#def-flow-counts").text
    thumb = dash_duo.driver.find_element(By.CSS_SELECTOR, "#def-arc [role='slider']")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", thumb)
    thumb.click()
    for _ in range(30):  # 90 -> 120 degrees, one step per key
        thumb.send_keys(Keys.ARROW_RIGHT)
    assert _wait(lambda: "spotty_arc=" in dash_duo.driver.current_url), \
        dash_duo.driver.current_url
    arc = float(dash_duo.driver.current_url.split("spotty_arc=")[1].split("&")[0])
    assert arc > 90
    n = _spotty_n(arc)
    assert n > 922  # wider arcs take patients from "other" in the bundled study
    assert _wait(lambda: f"Spotty calcification: n = {n:,}"
                 in _text(dash_duo, "#flt-group-counts"))
    assert _wait(lambda: _text(dash_duo, "#def-flow-counts") not in ("", before))
    assert _wait(lambda: f"{n - 922}" in _text(dash_duo, "#def-flow-counts")), \
        _text(dash_duo, "#def-flow-counts")
    # the navbar carries the definition to the other pages, which follow it
    link = dash_duo.driver.find_element(By.XPATH, "//a[normalize-space()='Overview']")
    assert f"spotty_arc={arc:g}" in link.get_attribute("href")
    link.click()
    dash_duo.wait_for_element(ids.PAGE_READY["overview"][1], timeout=30)
    dash_duo.wait_for_contains_text("#ov-counts", f"Spotty calcification: n = {n:,}", timeout=30)
    assert dash_duo.get_logs() == []
