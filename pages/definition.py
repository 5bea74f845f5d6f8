"""Definition explorer: redefine spotty calcification from the lesion file and see who
moves between groups, the headline difference, and its sensitivity to the definition.

The sliders write ``spotty_arc`` / ``spotty_len`` / ``spotty_other`` into the URL (part
of the filter spec), so every other page follows the chosen definition; the URL (via the
filter store) sets the sliders back, so back/forward and copied links restore them.

The page writes the link through a Location of its own (:data:`LINK`, ``callback-nav``):
dcc.Location pushes the new address and announces it, the shell's Location picks it up
and the filter sync follows, as for any navigation.
"""

from __future__ import annotations

import dataclasses

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from analysis.disclosure.results import total_shown
from analysis.display import format_ci, format_count, format_p, format_signed
from analysis.errors import ExplorerError, FilterSpecError
from analysis.selection import FilterSpec
from analysis.selection.definition import SpottyDefinition
from analysis.service import api
from components import ids
from components.figures import caption, caption_id, figure_block, message_figure
from components.figures.definition import (
    make_definition_curve_figure,
    make_definition_difference_figure,
    make_definition_flow_figure,
)
from components.page_context import error_alert, error_figure, page_context
from components.tables import frame_table, stat_card
from components.theme import group_label
from components.url_state import merge_query, split_query
from shell.page_cache import cached_page

dash.register_page(__name__, path="/definition", name="Definition", nav="Definition",
                   title="Spotty-calcification definition · IVUS study explorer", order=6)

OUTCOME = "delta_pav"
LINK = "def-url"
ARC = "def-arc"
LENGTH = "def-length"
OTHER = "def-other"
PUBLISHED = "def-published"
WORDS = "def-words"
NOTICE = "def-notice"
HEADLINE = "def-headline"
DIFFERENCE = "def-difference"
FLOW = "def-flow"
FLOW_TABLE = "def-flow-table"
CURVES = {"arc": "def-curve-arc", "length": "def-curve-length"}
#: Slider ranges: arcs (degrees) and lengths (mm) a reviewer may want to try.
ARC_RANGE = (10, 360)
LENGTH_RANGE = (0, 20)
_OTHER_LABELS = {"exclude": "Excluded: the patient is 'other calcification' (published)",
                 "allow": "Allowed: a spotty deposit makes the patient spotty"}
NO_LESIONS = [
    html.H2("This study has no lesion file", className="h5"),
    html.P("The groups can only be redefined from the deposits themselves: a lesion file "
           "with one row per calcium deposit (patient_id, arc_deg in degrees, length_mm in "
           "mm)."),
    html.Ul([
        html.Li(["In the browser: ", html.A("Open a study", href="/open"),
                 ", choose the patient file and the lesion file, then 'Use this study'."]),
        html.Li(["From the command line: ",
                 html.Code("python app.py --data patients.csv --lesions lesions.csv")]),
    ]),
]


def _control(label: str, html_id: str, control) -> html.Div:
    return html.Div([html.Div(label, id=f"{html_id}-label", className="form-label"),
                     html.Div(control, **{"aria-labelledby": f"{html_id}-label"})],
                    className="definition-control", role="group")


def layout(**_query):
    """Page layout; the definition comes from the URL through the filter store."""
    d = SpottyDefinition()
    arc = dcc.Slider(id=ARC, min=ARC_RANGE[0], max=ARC_RANGE[1], step=1, value=d.max_arc,
                     marks={v: f"{v}°" for v in (10, 90, 180, 270, 360)},
                     allow_direct_input=False, updatemode="mouseup",
                     tooltip={"placement": "top", "always_visible": False})
    length = dcc.RangeSlider(id=LENGTH, min=LENGTH_RANGE[0], max=LENGTH_RANGE[1], step=0.5,
                             value=[d.min_length, d.max_length],
                             marks={v: f"{v}" for v in (0, 1, 4, 10, 15, 20)},
                             allow_direct_input=False, updatemode="mouseup",
                             tooltip={"placement": "top", "always_visible": False})
    other = dbc.RadioItems(id=OTHER, value=d.other,
                           options=[{"label": v, "value": k} for k, v in _OTHER_LABELS.items()])
    controls = dbc.Card(dbc.CardBody([
        dbc.Row([
            dbc.Col(_control("Arc limit: a spotty deposit has an arc below", ARC, arc), md=4),
            dbc.Col(_control("Length range of a spotty deposit (mm, inclusive)", LENGTH, length),
                    md=4),
            dbc.Col(_control("Other calcium beside a spotty deposit", OTHER, other), md=4),
        ], className="g-4"),
        html.Div([
            dbc.Button("Published definition (90°, 1-4 mm)", id=PUBLISHED, color="secondary",
                       outline=True, size="sm", className="me-3"),
            html.Span(id=WORDS, className="definition-words"),
        ], className="d-flex align-items-center mt-3 flex-wrap"),
    ]), className="mb-3 definition-controls")
    return html.Div([
        dcc.Location(id=LINK, refresh="callback-nav"),
        html.H1("Definition of spotty calcification"),
        html.P("The paper's definition: at least one calcium deposit 1-4 mm long with an arc "
               "< 90° and no other calcium. Move it here: the patients are regrouped from the "
               "lesion file, and every page of the explorer follows (the definition is in the "
               "link).", className="lead-note"),
        html.Div(id=NOTICE),
        controls,
        dcc.Loading(html.Div(id=HEADLINE, className="mb-2"), delay_show=300),
        dbc.Row([
            dbc.Col([html.H2("Headline difference, published vs chosen", className="mt-0"),
                     figure_block(DIFFERENCE, "definition_difference")], lg=5),
            dbc.Col([html.H2("Patients moving between groups", className="mt-0"),
                     figure_block(FLOW, "definition_flow"),
                     html.Div(id=FLOW_TABLE, className="table-responsive")], lg=7),
        ]),
        html.H2("Sensitivity of the difference to the definition"),
        html.P("Each point refits the headline ANCOVA with the patients grouped by that "
               "definition; the band is its 95% CI. The dashed line and the black diamond "
               "are the published definition; the large dot is the chosen one.",
               className="method-note"),
        dbc.Row([dbc.Col(figure_block(CURVES["arc"], "definition_curve_arc"), lg=6),
                 dbc.Col(figure_block(CURVES["length"], "definition_curve_length"), lg=6)]),
    ])


def _definition_of(query: str | None) -> SpottyDefinition:
    return FilterSpec.from_query(query or "").definition


@callback(Output(ARC, "value"), Output(LENGTH, "value"), Output(OTHER, "value"),
          Output(WORDS, "children"), Input(ids.FILTER_STORE, "data"))
def controls_from_store(store):
    """The URL (through the store) sets the controls: links, back and forward."""
    if store is None:
        raise dash.exceptions.PreventUpdate
    try:
        d = _definition_of(store)
    except FilterSpecError:
        raise dash.exceptions.PreventUpdate from None
    words = d.describe()
    return d.max_arc, [d.min_length, d.max_length], d.other, words


def _snap(value: float, lo: float, hi: float, step: float) -> float:
    return float(min(max(round(value / step) * step, lo), hi))


def _as_shown(d: SpottyDefinition) -> tuple[float, float, float, str]:
    """The definition as the sliders can show it (their ranges and steps)."""
    return (_snap(d.max_arc, *ARC_RANGE, 1), _snap(d.min_length, *LENGTH_RANGE, 0.5),
            _snap(d.max_length, *LENGTH_RANGE, 0.5), d.other)


@callback(Output(LINK, "search"),
          Input(ARC, "value"), Input(LENGTH, "value"), Input(OTHER, "value"),
          Input(PUBLISHED, "n_clicks"), State(ids.URL, "search"), prevent_initial_call=True)
def controls_to_url(arc, length, other, _published, search):
    """A control moved: write the definition into the link (the store follows it)."""
    filter_query, options = split_query(search)
    try:
        spec = FilterSpec.from_query(filter_query)
        if ctx.triggered_id == PUBLISHED:
            definition = SpottyDefinition()
        elif arc is None or not length or other is None:
            raise dash.exceptions.PreventUpdate
        elif _as_shown(spec.definition) == (float(arc), float(length[0]), float(length[1]),
                                            other):
            # the controls only show the link's definition (clamped and snapped to the
            # sliders): never rewrite a link nobody changed
            raise dash.exceptions.PreventUpdate
        else:
            definition = SpottyDefinition(float(arc), float(length[0]), float(length[1]), other)
    except FilterSpecError:  # the filter panel shows what is wrong with the link
        raise dash.exceptions.PreventUpdate from None
    new = merge_query(dataclasses.replace(spec, definition=definition).to_query(), options)
    current = ("?" + search.lstrip("?")) if search and search.strip("?") else ""
    if new == current:
        raise dash.exceptions.PreventUpdate
    return new


def _headline(chosen, published, flow) -> dbc.Row:
    cards = []
    for label, res in (("Chosen definition: spotty - none", chosen),
                       ("Published definition: spotty - none", published)):
        if res is None or not res.ok:
            cards.append(dbc.Col(stat_card(label, "not estimated",
                                           res.error if res is not None else ""), md=4))
            continue
        con = res.value.contrast.iloc[0]
        cards.append(dbc.Col(stat_card(
            label, f"{format_signed(con['estimate'])} %",
            f"{format_ci(con['ci_low'], con['ci_high'])}; {format_p(con['p'], prefix=True)}; "
            f"n = {format_count(res.value.n_used)}"), md=4))
    if flow.ok:
        t = flow.value.table
        to_other = total_shown(t.at[g, "other"] for g in t.index if g != "other")
        from_other = total_shown(t.at["other", g] for g in t.columns if g != "other")
        note = (f"{format_count(from_other)} leave 'other', {format_count(to_other)} join it; "
                f"{group_label('spotty')}: {format_count(total_shown(t['spotty']))}")
        cards.append(dbc.Col(stat_card("Patients changing group",
                                       format_count(flow.value.n_moved),
                                       note), md=4))
    return dbc.Row(cards, className="g-2")


def _flow_table(flow):
    t = flow.table.copy()
    t.index = [f"{group_label(g)} (published)" for g in t.index]
    t.columns = [group_label(g) for g in t.columns]
    t = t.reset_index(names="Published → chosen")
    return frame_table(t, table_id="def-flow-counts")


@callback(
    Output(NOTICE, "children"), Output(HEADLINE, "children"),
    Output(DIFFERENCE, "figure"), Output(caption_id(DIFFERENCE), "children"),
    Output(FLOW, "figure"), Output(caption_id(FLOW), "children"),
    Output(FLOW_TABLE, "children"),
    Output(CURVES["arc"], "figure"), Output(caption_id(CURVES["arc"]), "children"),
    Output(CURVES["length"], "figure"), Output(caption_id(CURVES["length"]), "children"),
    Output(ARC, "disabled"), Output(LENGTH, "disabled"), Output(OTHER, "disabled"),
    Input(ids.FILTER_STORE, "data"), Input(ids.option_id("present"), "value"),
    Input(ids.option_id("means"), "value"), Input(ids.option_id("weights"), "value"),
)
@cached_page("definition")
def update(store, present, means, weights):
    """Flow, headline and sensitivity curves for the filters and the chosen definition."""
    if store is None:
        raise dash.exceptions.PreventUpdate
    present = bool(present)
    try:
        c = page_context(store, present)
        has_lesions = api.provenance(c.fingerprint).lesion_rows is not None
    except ExplorerError as err:
        fig = error_figure(err, present)
        return (error_alert(err), None, fig, None, fig, None, None, fig, None, fig, None,
                False, False, False)
    if not has_lesions:
        fig = message_figure("Needs a lesion file (see above)", presentation=present)
        return (dbc.Alert(NO_LESIONS, color="info"), None, fig, None, fig, None, None, fig,
                None, fig, None, True, True, True)
    return (None, *_results(c, means or "adjusted", weights or "proportional"),
            False, False, False)


def _results(c, means: str, weights: str) -> tuple:
    """Headline cards, the three figures with their captions and the flow table."""
    present = c.presentation
    chosen = api.ancova(c.fingerprint, c.query, OUTCOME, weights=weights, means=means,
                        diagnostics=False)
    if chosen.selection is None:  # a bad link: the filter panel says what is wrong
        fig = error_figure(ExplorerError(chosen.error), present)
        return dbc.Alert(chosen.error, color="warning"), fig, None, fig, None, None, fig, \
            None, fig, None
    published_query = dataclasses.replace(chosen.selection.spec,
                                          definition=SpottyDefinition()).to_query()
    published = api.ancova(c.fingerprint, published_query, OUTCOME, weights=weights,
                           means=means, diagnostics=False)
    flow = api.definition_flow(c.fingerprint, c.query)
    curve = api.definition_curve(c.fingerprint, c.query, OUTCOME, weights=weights, means=means)
    if published.ok:
        note = c.footnote(chosen, chosen.value.n_used if chosen.ok else None,
                          (chosen.value if chosen.ok else published.value).method)
        diff = make_definition_difference_figure(
            published.value, chosen.value if chosen.ok else None, outcome=OUTCOME,
            footnote=note, presentation=present)
        diff_caption = caption(note)
    else:
        diff, diff_caption = error_figure(ExplorerError(published.error), present), None
    if flow.ok:
        fnote = c.footnote(flow, flow.value.n, flow.value.method)
        flow_fig = make_definition_flow_figure(flow.value, footnote=fnote, presentation=present)
        flow_parts = (flow_fig, caption(fnote), _flow_table(flow.value))
    else:
        flow_parts = (error_figure(ExplorerError(flow.error), present), None, None)
    curves = []
    for axis in CURVES:
        if curve.ok:
            point = curve.value.curve[curve.value.curve["chosen"]]
            n = point["n"].iloc[0] if len(point) else None
            cnote = c.footnote(curve, n, curve.value.method + ". Dashed line and black "
                               "diamond: the published definition; large dot: the chosen one")
            reference = (float(published.value.contrast["estimate"].iloc[0])
                         if published.ok else None)
            curves += [make_definition_curve_figure(curve.value, axis, footnote=cnote,
                                                    published_estimate=reference,
                                                    presentation=present), caption(cnote)]
        else:
            curves += [error_figure(ExplorerError(curve.error), present), None]
    return (_headline(chosen, published, flow), diff, diff_caption, *flow_parts, *curves)
