"""The navbar: page links (from the page registry), the dataset line, the Means and
LS-mean weights options, the Export menu, the Presentation switch, and their callbacks."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, html

from components import export_menu, ids

#: LS-mean weighting choices, with the one-sentence help of each.
WEIGHT_CHOICES = (
    ("proportional", "Proportional",
     "Proportional: factor levels are weighted by their observed frequencies, so adjusted "
     "means sit near the raw ones."),
    ("equal", "Equal",
     "Equal: every level of each factor counts the same, as emmeans and SAS LSMEANS do "
     "by default."),
)
WEIGHTS_HELP = "LS-mean weights. " + " ".join(h for _v, _l, h in WEIGHT_CHOICES)
WEIGHTS_OFF_HELP = ("LS-mean weights do not apply to raw means (no covariates); "
                    "choose Means: Adjusted to use them.")
WEIGHTS_GROUP = "weights-group"


def nav_pages() -> list[tuple[str, str]]:
    """(path, link text) of every registered page, in the pages' order."""
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order", 99))
    return [(p["path"], p.get("nav", p["name"])) for p in pages if p.get("nav") is not False]


def weights_options(disabled: bool) -> list[dict]:
    """Options of the LS-mean weights radio (each label carries its one-sentence help)."""
    return [{"label": html.Span(label, title=help_), "value": value, "disabled": disabled}
            for value, label, help_ in WEIGHT_CHOICES]


def _options() -> html.Div:
    means = html.Div([
        html.Span("Means:", className="option-label", id="means-label"),
        dbc.RadioItems(id=ids.option_id("means"), value="adjusted", inline=True, name="means",
                       options=[{"label": "Adjusted", "value": "adjusted"},
                                {"label": "Raw", "value": "raw"}]),
    ], className="option-row", role="radiogroup", **{"aria-labelledby": "means-label"})
    weights = html.Div([
        html.Span("LS-mean weights:", className="option-label", id="weights-label"),
        dbc.RadioItems(id=ids.option_id("weights"), value="proportional", inline=True,
                       name="weights", options=weights_options(False)),
        html.Span(WEIGHTS_HELP, id="weights-help", className="visually-hidden"),
    ], id=WEIGHTS_GROUP, className="option-row", role="radiogroup", title=WEIGHTS_HELP,
        **{"aria-labelledby": "weights-label", "aria-describedby": "weights-help"})
    # the Export button sits at the end of the (shorter) Means row: no extra width
    first = html.Div([means, export_menu.export_button()],
                     className="d-flex align-items-center justify-content-between")
    return html.Div([first, weights], className="navbar-options text-light me-2")


def navbar(status: list[str], own_study: bool = False) -> dbc.Navbar:
    """The navbar; ``status`` is the study line (file name, patients); ``own_study``
    adds the way back to the default dataset."""
    links = [dbc.NavItem(dbc.NavLink(label, href=path, active="exact",
                                     id={"type": ids.NAV_LINK, "path": path}))
             for path, label in nav_pages()]
    study_links = [html.A("Open a study", href="/open", id=ids.OPEN_STUDY_LINK,
                          title="Open your own study file with a guided column mapping")]
    if own_study:
        study_links.append(html.A("Back to default", href="/?ds=default",
                                  id=ids.BACK_TO_DEFAULT, title="Close this study for this "
                                  "browser session and show the dataset everyone sees"))
    return dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand("IVUS study explorer", href="/"),
            dbc.Nav(links, navbar=True, className="me-auto"),
            html.Div([
                html.Span([html.Span(line) for line in status], id=ids.DATA_STATUS,
                          title=" · ".join(status), className="text-light"),
                html.Div(study_links, className="study-links"),
            ], className="study-block me-2"),
            _options(),
            dbc.Switch(id=ids.option_id("present"), label="Presentation", value=False,
                       className="text-light mb-0", label_class_name="text-light",
                       input_class_name="me-1"),
            export_menu.export_modal(),
        ], fluid=True),
        className="explorer-navbar", color="#16324f", dark=True, expand="xl",
    )


@callback(Output(ids.option_id("weights"), "options"), Output(WEIGHTS_GROUP, "title"),
          Output(WEIGHTS_GROUP, "className"), Output(WEIGHTS_GROUP, "aria-disabled"),
          Input(ids.option_id("means"), "value"))
def weights_enabled(means):
    """Raw means fit no covariates, so the LS-mean weighting is shown disabled.

    The chosen weighting stays in the URL and applies again when Means is Adjusted.
    """
    raw = means == "raw"
    return (weights_options(raw), WEIGHTS_OFF_HELP if raw else WEIGHTS_HELP,
            "option-row option-disabled" if raw else "option-row",
            "true" if raw else "false")


@callback(Output({"type": ids.NAV_LINK, "path": ALL}, "href"), Input(ids.URL, "search"),
          State({"type": ids.NAV_LINK, "path": ALL}, "id"))
def keep_query_in_links(search, link_ids):
    """Navbar links carry the query string, so filters follow the user across pages."""
    return [i["path"] + (search or "") for i in link_ids]
