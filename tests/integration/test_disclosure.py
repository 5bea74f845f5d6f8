"""Disclosure control across the app: every page's callbacks, the Table 1 and patient
downloads, the HTML report and the slide deck, on small selections of the bundled
cohort, with EXPLORER_SUPPRESS_K=7 and EXPLORER_ROUND_BASE=5 (and with k = 0).

Two selections (their group sizes from ``apply_filters`` on the frame, independently
of the pages):

* ``SMALL``, patients aged 78-90: 4 without calcium, 20 with spotty calcium;
* ``MODEL``, patients aged 72-90: 16 / 52, so the models fit, but the group x LDL-C
  therapy cells and some subgroup levels hold fewer than 8 patients.

With the rule on, every count a page or file states ("n = ...", "(n=...)", a Table 1
cell "count (%)") must be a multiple of 5 or a marker; the small group's size (4) must
appear nowhere as a count; every figure's footnote names the rule.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
import zipfile

import pandas as pd
import pytest
from dash_callback_client import (
    MEANS,
    OUTCOME,
    PRESENT,
    STORE,
    WEIGHTS,
    key,
    text_of,
)
from pptx import Presentation

from analysis import settings as settings_mod
from analysis.selection import FilterSpec, apply_filters
from analysis.service import disclosed as disclosed_mod
from components import ids

SMALL = "age=78-90"
MODEL = "age=72-90"
CAPTION = "Counts ≤ 7 suppressed, rounded to base 5"
#: Page callbacks: an output of each (the whole multi-output answer is checked).
PAGE_OUTPUTS = ("ov-ls-means.figure", "bl-table.children", "pr-distribution.figure",
                "cmp-ls-means.figure", "th-cells-ldl_intensive.figure",
                f"{ids.GROUP_COUNTS}.children", "data-grid-holder.children")
#: "n = 15", "(n=15)", "n none = 15": the counts a text states (spaced as the app writes
#: them, so minified JavaScript such as plotly.js's "n=1" is not taken for one).
COUNT = re.compile(r"\bn(?: none| spotty)? = (\d[\d,]*)|\(n=(\d[\d,]*)\)")


def _values(query: str, chart: str = "histogram") -> dict:
    return {STORE: query, PRESENT: False, MEANS: "adjusted", WEIGHTS: "proportional",
            OUTCOME: "delta_pav", key(ids.option_id("chart"), "value"): chart,
            key(ids.option_id("covar"), "value"): [],
            key("data-columns", "value"): None}


def _text(data) -> str:
    """The whole answer as text (non-ASCII kept, so "≤7" reads as it is shown)."""
    return json.dumps(data, ensure_ascii=False)


def _counts(text: str) -> list[int]:
    return [int((a or b).replace(",", "")) for a, b in COUNT.findall(text)]


def _raw_groups(dataset, query: str) -> dict[str, int]:
    return dict(apply_filters(dataset.frame, FilterSpec.from_query(query)).n_by_group)


def _footnotes(data) -> list[str]:
    out = []
    for props in data["response"].values():
        for value in props.values():
            if isinstance(value, dict) and "layout" in value:
                out.append(" ".join(value["layout"].get("meta", {}).get("footnote", [])))
    return out


@pytest.fixture
def rule_on(dash_app):
    """EXPLORER_SUPPRESS_K=7, EXPLORER_ROUND_BASE=5 for one test."""
    before = settings_mod.current()
    settings_mod.configure(dataclasses.replace(before, suppress_k=7, round_base=5))
    yield
    settings_mod.configure(before)


def test_selections_are_as_described(dataset):
    assert _raw_groups(dataset, SMALL) == {"none": 4, "spotty": 20}
    assert _raw_groups(dataset, MODEL) == {"none": 16, "spotty": 52}


@pytest.mark.parametrize("query", [SMALL, MODEL])
@pytest.mark.parametrize("output", PAGE_OUTPUTS)
def test_pages_show_no_suppressed_count(caller, rule_on, query, output):
    status, data, _raw = caller.call(output, _values(query))
    assert status == 200
    text = _text(data)
    counts = _counts(text)
    assert [n for n in counts if n % 5] == [], output
    assert "n = 4 " not in text and "n = 4<" not in text and "(n=4)" not in text
    for note in _footnotes(data):
        if note:
            assert CAPTION in note


def test_small_group_reads_as_suppressed_everywhere(caller, rule_on):
    _s, overview, _ = caller.call("ov-ls-means.figure", _values(SMALL))
    counts = text_of(overview["response"]["ov-counts"]["children"])
    # 4 of 24: the total would give the 4 back from the spotty 20, so 20 is redacted too
    assert "No calcification: n = ≤7" in counts
    assert "Spotty calcification: n = redacted" in counts
    # the model cannot be fitted on 4 patients, and its message does not say 4
    headline = text_of(overview["response"]["ov-headline"]["children"])
    assert "≤7 patients" in headline and "4 patients" not in headline
    _s, base, _ = caller.call("bl-table.children", _values(SMALL))
    table = _text(base["response"]["bl-table"]["children"])
    assert "No calcification (n ≤ 7)" in table
    assert "withheld" in _text(base["response"]["bl-note"]) or "—" in table
    _s, groups, _ = caller.call(f"{ids.GROUP_COUNTS}.children", _values(SMALL))
    assert "≤7" in _text(groups)


def test_model_page_figures_carry_the_rule(caller, rule_on):
    _s, data, _ = caller.call("th-cells-ldl_intensive.figure", _values(MODEL))
    notes = [n for n in _footnotes(data) if n]
    assert notes and all(CAPTION in n for n in notes)
    effects = _text(data["response"]["th-effects-ldl_intensive"]["children"])
    # none / intensive holds 5 patients: its LS mean and the effects that use it are
    # withheld, so the simple-effects table has empty estimates
    assert "≤7" in _text(data["response"]) and effects


def _table_one_download(caller, query: str, button: str) -> tuple[str, bytes]:
    values = {key("bl-csv", "n_clicks"): None, key("bl-xlsx", "n_clicks"): None,
              STORE: query}
    values[key(button, "n_clicks")] = 1
    status, data, _ = caller.call("bl-download.data", values, changed=[f"{button}.n_clicks"])
    assert status == 200
    out = data["response"]["bl-download"]["data"]
    return out["filename"], base64.b64decode(out["content"])


def _count_cells(frame: pd.DataFrame) -> list[int]:
    """Counts of "count (%)" cells and group headers of a formatted Table 1."""
    found = []
    for col in frame.columns[1:-4]:
        found += _counts(str(col))
        for cell in frame[col].astype(str):
            if m := re.match(r"^(\d[\d,]*) \(", cell):
                found.append(int(m.group(1).replace(",", "")))
    return found


def test_table_one_downloads_are_redacted(caller, rule_on):
    _name, content = _table_one_download(caller, SMALL, "bl-csv")
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        table = pd.read_csv(zf.open("data.csv"), encoding="utf-8-sig", dtype=str,
                            keep_default_na=False)
        provenance = zf.read("provenance.txt").decode()
    counts = _count_cells(table)
    assert counts and [n for n in counts if n % 5] == []
    assert "≤7" in table.to_string() and CAPTION in provenance
    _name, content = _table_one_download(caller, SMALL, "bl-xlsx")
    tidy = pd.read_excel(io.BytesIO(content), sheet_name="table1_tidy")
    for col in [c for c in tidy.columns if c.endswith(("_count", "_n", "_missing"))]:
        numbers = [v for v in tidy[col] if isinstance(v, int | float) and pd.notna(v)]
        assert all(float(v) % 5 == 0 for v in numbers), col
    assert (tidy["none_n"].astype(str) == "≤7").all()
    assert tidy["none_mean"].isna().all()                 # summaries of 4 withheld


def test_patient_rows_download_says_it_is_not_redacted(caller, rule_on, dataset):
    values = {key("data-csv", "n_clicks"): 1, key("data-xlsx", "n_clicks"): None,
              key("data-parquet", "n_clicks"): None, STORE: SMALL}
    status, data, _ = caller.call("data-download.data", values,
                                  changed=["data-csv.n_clicks"])
    assert status == 200
    content = base64.b64decode(data["response"]["data-download"]["data"]["content"])
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        rows = pd.read_csv(zf.open("data.csv"), encoding="utf-8-sig")
        provenance = zf.read("provenance.txt").decode()
    assert len(rows) == 24                      # the rows themselves: 4 + 20
    assert "not subject to disclosure control" in provenance
    assert "analyst role" in provenance


def _without_library(html_text: str) -> str:
    """The report without the inlined plotly.js (its code holds "(n=1)" and the like)."""
    parts, pos = [], 0
    while (start := html_text.find("<script", pos)) != -1:
        end = html_text.find("</script>", start)
        parts.append(html_text[pos:start])
        if end - start < 200_000:
            parts.append(html_text[start:end])
        pos = end
    return "".join(parts) + html_text[pos:]


def _pptx_text(content: bytes) -> str:
    texts = []
    for slide in Presentation(io.BytesIO(content)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [c.text for row in shape.table.rows for c in row.cells]
    return "\n".join(texts)


@pytest.mark.parametrize("link", [f"/baseline?{SMALL}", f"/therapy?{MODEL}",
                                  f"/progression?{SMALL}"])
def test_html_report_and_deck_are_redacted(rule_on, dash_app, link):
    from reports.deck import build_deck
    from reports.html_report import build_html
    from reports.view import build_view

    view = build_view(link)
    html_text = _without_library(build_html(view))
    counts = _counts(html_text)
    assert counts and [n for n in counts if n % 5] == []
    assert CAPTION in html_text and "≤7" in html_text
    # figures are rendered by kaleido elsewhere: a 1-pixel PNG stands in for each here
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4"
                           "z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==")
    deck = _pptx_text(build_deck(view, pngs={f.key: png for f in view.figures}))
    counts = _counts(deck)
    assert counts and [n for n in counts if n % 5] == []
    assert "≤7" in deck and "n = 4 " not in deck
    for table in view.tables:
        if table.key == "table1":
            assert [n for n in _count_cells(table.frame) if n % 5] == []


def test_scripts_print_no_suppressed_count(rule_on, dash_app):
    from reports.script_py import python_script
    from reports.script_r import r_script
    from reports.view import build_view

    view = build_view(f"/?{SMALL}")
    assert "SUPPRESS_K = 7" in python_script(view)
    assert "SUPPRESS_K <- 7" in r_script(view)
    assert "n none" not in view.numbers           # the suppressed count is no reference value


@pytest.mark.parametrize("output", PAGE_OUTPUTS)
def test_rule_off_leaves_every_output_unchanged(caller, monkeypatch, output, dataset):
    assert settings_mod.current().suppress_k == 0

    def never(*_args, **_kwargs):
        raise AssertionError("disclosure control ran with k = 0")

    monkeypatch.setattr(disclosed_mod, "disclose", never)  # k = 0: results as computed
    status, data, _ = caller.call(output, _values(SMALL))
    assert status == 200
    text = _text(data)
    assert CAPTION not in text and "≤" not in text and "redacted" not in text
    if output == "ov-ls-means.figure":  # and the counts are the exact ones
        counts = text_of(data["response"]["ov-counts"]["children"])
        assert f"n = {_raw_groups(dataset, SMALL)['none']}" in counts


def test_sensitivity_section_is_redacted(caller, rule_on):
    values = {**_values(MODEL), key("cmp-sens-run", "n_clicks"): 1}
    # the Run button starts a background job: poll it to its answer
    data = {"response": caller.call_job("cmp-sens-forest.figure", values,
                                        ["cmp-sens-run.n_clicks"])}
    text = _text(data)
    assert [n for n in _counts(text) if n % 5] == []
    assert all(CAPTION in n for n in _footnotes(data) if n)


def test_navbar_dataset_line_is_rounded(client, rule_on):
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    # 1,847 patients in the bundled file -> 1,845 (nearest 5)
    assert "1,845 patients" in layout.get_data(as_text=True)


def test_kit_rows_provenance_says_they_are_not_redacted(rule_on, dash_app):
    from reports.data_files import data_files
    from reports.view import build_view

    files = data_files(build_view(f"/data?{SMALL}"))
    provenance = files["provenance.txt"].decode()
    assert "not subject to disclosure control" in provenance
    assert len(pd.read_csv(io.BytesIO(files["data.csv"]), encoding="utf-8-sig")) == 24


def test_withheld_summaries_read_as_a_dash(caller, rule_on):
    _s, data, _ = caller.call("pr-distribution.figure", _values(SMALL))
    summary = data["response"]["pr-summary"]["children"]
    rows = [r for r in _text(summary).split('"Tr"') if "No calcification" in r]
    # the group of 4: its n reads ≤7 and its mean, SD and quartiles "—"
    assert rows and "≤7" in rows[0] and rows[0].count("—") >= 5


def test_kit_sensitivity_section_is_redacted(rule_on, dash_app):
    from reports.html_report import build_html
    from reports.view import build_view

    view = build_view(f"/comparison?{MODEL}", sensitivity=True)
    html_text = _without_library(build_html(view))
    assert [n for n in _counts(html_text) if n % 5] == []
    assert CAPTION in html_text
    # every figure's own caption says so, those of the section too (forest, balance)
    section = [f for f in view.figures if f.section == "Sensitivity"]
    assert section and all(f.footnote.disclosure for f in view.figures), \
        [f.key for f in view.figures if not f.footnote.disclosure]


@pytest.mark.parametrize("query", [f"{SMALL}&spotty_arc=60", f"{MODEL}&spotty_arc=60"])
def test_definition_page_shows_no_suppressed_count(caller, rule_on, dataset, query):
    # The flow table, the headline and the curves of a moved definition on a small
    # selection: every stated count is a multiple of 5 or a marker, every footnote
    # names the rule, and a move of fewer than 8 patients is never shown as a number.
    status, data, raw = caller.call("def-flow.figure", {
        STORE: query, PRESENT: False, MEANS: "adjusted", WEIGHTS: "proportional"})
    assert status == 200, raw[:300]
    text = _text(data)
    assert [n for n in _counts(text) if n % 5] == []
    for note in _footnotes(data):
        if note:
            assert CAPTION in note
    sankey = data["response"]["def-flow"]["figure"]["data"][0]
    values = sankey["link"]["value"]
    values = values if isinstance(values, list) else []
    assert all(v > 7 and v % 5 == 0 for v in values)
    table = text_of(data["response"]["def-flow-table"]["children"])
    assert "≤7" in table or all(int(t) % 5 == 0 for t in re.findall(r"\b\d+\b", table))
