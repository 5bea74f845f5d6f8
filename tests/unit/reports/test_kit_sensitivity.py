"""The kit files with the Sensitivity section: the zip's listing and its README, the
command line's --sensitivity / --no-sensitivity."""

from __future__ import annotations

import io
import zipfile

import pytest
from pptx import Presentation

from reports.__main__ import main
from reports.kit import build


def test_zip_of_the_comparison_holds_the_section_everywhere(fingerprint, kaleido_server):
    steps: list[str] = []
    name, data = build("/comparison", "zip", fingerprint=fingerprint, progress=steps.append)
    assert name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        for key in ("sensitivity_forest", "propensity_balance"):
            assert {f"figures/{key}.png", f"figures/{key}.svg"} <= names
            assert zf.read(f"figures/{key}.png")[:8] == b"\x89PNG\r\n\x1a\n"
        svg = zf.read("figures/sensitivity_forest.svg").decode()
        assert "20 imputations" in svg and "not patient data" in svg   # its caption band
        assert "Sensitivity section" in zf.read("README.txt").decode()
        assert "SENSITIVITY = {'hc3': True, 'ps': True, 'trim': 1.0}" in zf.read(
            "view.py").decode()
        assert "SENS_PS <- TRUE" in zf.read("view.R").decode()
        assert "id='section-sensitivity'" in zf.read("report.html").decode()
        deck = Presentation(io.BytesIO(zf.read("deck.pptx")))
        names_in_deck = {s.name for sl in deck.slides for s in sl.shapes}
        assert {"Figure sensitivity_forest", "Table sensitivity_estimates",
                "Figure propensity_balance", "Table propensity_balance"} <= names_in_deck
    assert any(s.startswith("Sensitivity:") for s in steps)


@pytest.mark.parametrize("flag, link, expected", [
    ([], "/comparison", True), (["--no-sensitivity"], "/comparison", False),
    (["--sensitivity"], "/progression", True), ([], "/progression", False)])
def test_command_line_flag_chooses_the_section(flag, link, expected, tmp_path, capsys,
                                               fingerprint):
    out = tmp_path / "view.py"
    assert main([link, "--format", "py", "--out", str(out), *flag]) == 0
    text = out.read_text(encoding="utf-8")
    assert (f"SENSITIVITY = {{'hc3': {expected}, 'ps': {expected}" in text)
    assert ("Sensitivity:" in capsys.readouterr().err) == expected   # its progress


def test_zip_without_rows_leaves_out_the_patient_rows(fingerprint, kaleido_server):
    # a viewer's kit (export_menu passes rows=False below the analyst role)
    _name, data = build("/baseline", "zip", fingerprint=fingerprint, rows=False)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        assert "data.csv" not in names and "provenance.txt" in names
        assert "data.csv is left out" in zf.read("README.txt").decode()
    _name, data = build("/baseline", "zip", fingerprint=fingerprint)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "data.csv" in zf.namelist()
