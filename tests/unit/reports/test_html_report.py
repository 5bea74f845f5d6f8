"""The HTML report: one offline file, plotly.js once, the view's figures and tables."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from reports.html_report import build_html


class _Links(HTMLParser):
    """Every src/href of the document's elements, and each script's size."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[int] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]
        if tag == "script":
            self._in_script = True
            self.scripts.append(0)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += len(data)


@pytest.fixture(scope="module", params=["default_view", "filtered_view"])
def report(request):
    view = request.getfixturevalue(request.param)
    return build_html(view), view


def test_report_fetches_nothing_from_the_network(report):
    text, _view = report
    links = _Links()
    links.feed(text)
    external = [u for u in links.urls if u.lower().startswith(("http://", "https://", "//"))]
    assert external == []
    assert "<link" not in text.lower()          # no stylesheet or font to fetch


def test_plotly_js_is_inlined_exactly_once(report):
    text, view = report
    links = _Links()
    links.feed(text)
    big = [n for n in links.scripts if n > 1_000_000]   # the pages' plotly.js is 1.3 MB
    assert len(big) == 1
    assert "plotly.js v" in text and "custom bundle (scatter,bar,box,sankey)" in text
    for item in view.figures:
        assert f'id="figure-{item.key}"' in text


def test_report_holds_tables_methods_provenance_and_label(report):
    text, view = report
    assert view.fingerprint in text and view.dataset in text
    assert "Simulated data calibrated to published summaries - not patient data" in text
    for table in view.tables:
        assert f"id='{table.key}'" in text
    assert "Welch t-test" in text and "LS-mean weights" in text
    assert text.count("<table>") == len(view.tables)


def test_sensitivity_section_holds_its_figures_tables_and_captions(report):
    text, view = report
    links = _Links()
    links.feed(text)
    if not view.sensitivity:
        assert "id='section-sensitivity'" not in text
        return
    section = text[text.index("<section id='section-sensitivity'>"):]
    section = section[:section.index("</section>")]
    for key in ("sensitivity_forest", "propensity_balance"):
        assert f'id="figure-{key}"' in section
    for key in ("sensitivity_estimates", "propensity_balance"):
        assert f"<h3 id='{key}'>" in section
    # forest, its table, the balance plot, its table, in that order
    order = [section.index(s) for s in ('id="figure-sensitivity_forest"',
                                        "id='sensitivity_estimates'",
                                        'id="figure-propensity_balance"',
                                        "<h3 id='propensity_balance'>")]
    assert order == sorted(order)
    assert "20 imputations, seed 20120501" in section and "Austin &amp; Stuart" in section
    assert section.count("<p class='caption'>") == 2 and section.count("<table>") == 2
