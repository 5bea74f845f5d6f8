"""Open a study in the browser: upload a renamed, recoded SPSS file through /open, map it
with the wizard's suggestions plus one manual fix, use it, and see its counts on the
Overview, while a second browser session still sees the bundled cohort."""

from __future__ import annotations

import json
import time

import pandas as pd
import pyreadstat
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from analysis import settings as settings_mod
from analysis.settings import BUNDLED_COHORT

pytestmark = pytest.mark.browser
COUNTS = "#flt-group-counts"


@pytest.fixture(scope="module")
def dash_app(tmp_path_factory):
    import app as app_module

    folder = tmp_path_factory.mktemp("studies")
    app_module.configure(settings_mod.Settings(cache_type="SimpleCache", study_dir=str(folder)))
    return app_module.app


@pytest.fixture
def their_sav(tmp_path) -> tuple[str, pd.DataFrame]:
    """The bundled cohort's first 600 patients as another study exports them (SPSS)."""
    df = pd.read_csv(BUNDLED_COHORT).iloc[:600]
    out = df.rename(columns={"patient_id": "SUBJID", "age": "AGE_YRS", "diabetes": "DM",
                             "pav_baseline": "PAV_BL", "pav_followup": "PAV_FU",
                             "calcification": "CALC_GROUP"})
    out["DM"] = out["DM"].map({1: "J", 0: "N"})  # 'J' needs a code: the manual fix
    path = tmp_path / "their_study.sav"
    pyreadstat.write_sav(out, str(path))
    return str(path), df


def _by_dict_id(driver, ident: dict):
    text = json.dumps(ident, sort_keys=True, separators=(",", ":"))
    return driver.find_element(By.XPATH, f"//*[@id='{text}']")


def _choose(driver, dropdown, text: str) -> None:
    """Open a dcc.Dropdown and click the option with this text."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()",
                          dropdown)
    deadline = time.time() + 10
    while time.time() < deadline:
        for option in driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"):
            if option.text.strip() == text:
                driver.execute_script("arguments[0].click()", option)
                return
        time.sleep(0.2)
    raise AssertionError(f"no option {text!r}")


def _selected(driver) -> str:
    deadline = time.time() + 30
    while time.time() < deadline:
        found = driver.find_elements(By.CSS_SELECTOR, COUNTS)
        if found and "patients selected" in found[0].text:
            return found[0].text
        time.sleep(0.3)
    raise AssertionError("no group counts")


def test_upload_map_and_use_a_study_isolated_from_other_sessions(dash_duo, dash_app, their_sav):
    path, df = their_sav
    dash_duo.start_server(dash_app, port=0 or 8071)
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/open", timeout=30)
    dash_duo.wait_for_element("#open-file-patient", timeout=30).send_keys(path)
    dash_duo.find_element("#open-upload").click()
    dash_duo.wait_for_contains_text("#open-status", "600 rows", timeout=60)
    # the suggestion found the renamed columns; 'J' for diabetes has no meaning yet
    dash_duo.wait_for_contains_text("#open-report", "errors to fix", timeout=60)
    code = _by_dict_id(dash_duo.driver, {"type": "map-code", "var": "diabetes", "code": "J"})
    _choose(dash_duo.driver, code, "yes")
    dash_duo.wait_for_contains_text("#open-report", "No errors", timeout=60)
    dash_duo.driver.execute_script("arguments[0].click()", dash_duo.find_element("#open-use"))
    # the Overview of the new study: its counts (reference: pandas on the same rows)
    expected = int(df["calcification"].isin(["none", "spotty"]).sum())
    deadline = time.time() + 60
    while time.time() < deadline and "ds=" not in dash_duo.driver.current_url:
        time.sleep(0.3)
    assert "ds=" in dash_duo.driver.current_url
    assert f"{expected:,} patients selected" in _selected(dash_duo.driver)
    dash_duo.wait_for_contains_text("#data-status", "their_study.sav", timeout=30)
    n_none = int((df["calcification"] == "none").sum())
    dash_duo.wait_for_contains_text("#ov-counts", f"n = {n_none:,}", timeout=30)

    # a second browser session still sees the bundled cohort, also with the study's link
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,900"):
        options.add_argument(arg)
    other = webdriver.Chrome(options=options)
    try:
        other.get(dash_duo.server_url + "/")
        bundled = pd.read_csv(BUNDLED_COHORT)
        n_all = int(bundled["calcification"].isin(["none", "spotty"]).sum())
        assert f"{n_all:,} patients selected" in _selected(other)
        other.get(dash_duo.driver.current_url)  # the first session's link
        deadline = time.time() + 30
        while time.time() < deadline and "not open for you" not in other.page_source:
            time.sleep(0.3)
        assert "not open for you" in other.page_source
        assert f"{n_all:,} patients selected" in _selected(other)
    finally:
        other.quit()
    assert dash_duo.get_logs() == []
