"""Login, roles and the audit log, through the Flask test client with login required.

Two accounts (a viewer and an analyst) in a temporary account file; each test client
keeps its own session cookie, as one browser would.
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile

import pandas as pd
import pytest

from accounts.audit import read_events
from accounts.roles import ANALYST_OUTPUTS
from accounts.store import AccountStore
from analysis import settings as settings_mod
from analysis.selection.spec import FilterSpec
from analysis.settings import BUNDLED_COHORT
from components import ids

PASSWORDS = {"vera": "viewer-password-1", "anna": "analyst-password-1"}
CALLBACK = "/_dash-update-component"
AGE = FilterSpec(ranges=(("age", 50.0, 70.0),)).to_query()


@pytest.fixture(scope="module")
def secured(dash_app, dependencies, tmp_path_factory):
    """The app with login required, two accounts and a fresh audit log.

    (``dependencies`` is read first, while login is still off.)
    """
    import app as app_module

    folder = tmp_path_factory.mktemp("accounts")
    settings = settings_mod.Settings(
        cache_type="SimpleCache", auth="required", accounts_file=str(folder / "accounts.json"),
        audit_log=str(folder / "audit.log"), secret_key="test-secret", login_attempts=3)
    store = AccountStore(settings.accounts_file)
    store.add("vera", PASSWORDS["vera"], "viewer")
    store.add("anna", PASSWORDS["anna"], "analyst")
    app_module.configure(settings)
    yield settings
    app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))


def _csrf(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def login(client, name: str, password: str | None = None):
    return client.post("/login", data={"username": name, "csrf_token": _csrf(client),
                                       "password": password or PASSWORDS[name], "next": "/data"})


@pytest.fixture()
def anonymous(dash_app, secured):
    return dash_app.server.test_client()


@pytest.fixture()
def viewer(dash_app, secured):
    client = dash_app.server.test_client()
    assert login(client, "vera").status_code == 303
    return client


@pytest.fixture()
def analyst(dash_app, secured):
    client = dash_app.server.test_client()
    assert login(client, "anna").status_code == 303
    return client


def _slot_item(ident: str, prop: str, value):
    parsed = json.loads(ident) if ident.startswith("{") else ident
    if isinstance(parsed, dict) and any(isinstance(v, list) for v in parsed.values()):
        return []
    return {"id": parsed, "property": prop, "value": value}


def body_for(dep: dict, values: dict | None = None) -> dict:
    """A well-formed request for the callback ``dep`` (values by "id.prop", default None)."""
    values = values or {}
    out = dep["output"]
    parts = out[2:-2].split("...") if out.startswith("..") else [out]
    outputs = [_slot_item(*p.rsplit(".", 1), None) for p in parts]
    for o in outputs:
        if isinstance(o, dict):
            o.pop("value")
    item = lambda i: _slot_item(i["id"], i["property"], values.get(f"{i['id']}.{i['property']}"))  # noqa: E731
    return {"output": out, "outputs": outputs if out.startswith("..") else outputs[0],
            "inputs": [item(i) for i in dep["inputs"]], "state": [item(s) for s in dep["state"]],
            "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]}


def server_callbacks(dependencies):
    return [d for d in dependencies if not d.get("clientside_function")]


def find(dependencies, output: str) -> dict:
    return next(d for d in dependencies if d["output"] == output)


# ----------------------------------------------------------------- login required
def test_pages_redirect_to_login_and_the_rest_answers_401(anonymous, dash_app):
    page = anonymous.get("/comparison?age=50-70")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=/comparison?age%3D50-70" or \
        page.headers["Location"].startswith("/login?next=/comparison")
    for path in ("/_dash-layout", "/_dash-dependencies"):
        r = anonymous.get(path)
        assert r.status_code == 401 and r.get_json()["error"] == "Please log in first."
    assert anonymous.post(CALLBACK, json={}).status_code == 401
    assert anonymous.get("/health").status_code == 200
    assert anonymous.get("/assets/bootstrap.min.css").status_code == 200


def test_every_route_needs_a_login(anonymous, dash_app):
    """Each rule of the Flask url map, with placeholder arguments, refuses a stranger."""
    from accounts.web import PUBLIC_PATHS

    checked = 0
    for rule in dash_app.server.url_map.iter_rules():
        path = re.sub(r"<[^>]+>", "x", rule.rule)
        if path in PUBLIC_PATHS or path in {"/logout"}:
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        r = anonymous.open(path, method=method)
        assert r.status_code in (302, 401), (rule.rule, r.status_code)
        if r.status_code == 302:
            assert r.headers["Location"].startswith("/login")
        checked += 1
    assert checked >= 5


def test_login_page_uses_the_local_stylesheet(anonymous):
    html = anonymous.get("/login").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/assets/bootstrap.min.css">' in html
    assert "http://" not in html and "https://" not in html
    assert 'name="username"' in html and 'name="password"' in html


def test_session_cookie_is_httponly_and_samesite(dash_app, secured):
    client = dash_app.server.test_client()
    r = login(client, "vera")
    cookie = [v for k, v in r.headers.items() if k == "Set-Cookie"][-1]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in this test (EXPLORER_HTTPS off)
    assert r.headers["Location"] == "/data"


def test_wrong_password_is_refused_then_rate_limited(dash_app, secured):
    client = dash_app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.9.9.9"  # blocks this address only
    for _ in range(secured.login_attempts):
        assert login(client, "vera", "wrong-password-x").status_code == 401
    # the right password is refused too while the (name, address) is blocked
    assert login(client, "vera").status_code == 429
    # another user from the same address is not blocked
    assert login(client, "anna").status_code == 303
    other = dash_app.server.test_client()  # the same user from another address
    assert login(other, "vera").status_code == 303
    events = [e for e in read_events(secured.audit_log) if e["ip"] == "10.9.9.9"]
    assert [e["event"] for e in events if e.get("user") == "vera"][-4:] == [
        "login_failed", "login_failed", "login_failed", "login_blocked"]
    assert "wrong-password-x" not in open(secured.audit_log).read()


def test_login_without_the_form_token_is_refused(dash_app, secured):
    client = dash_app.server.test_client()
    r = client.post("/login", data={"username": "anna", "password": PASSWORDS["anna"]})
    assert r.status_code == 400
    assert client.get("/_dash-layout").status_code == 401


def test_login_and_logout_are_audited(dash_app, secured):
    client = dash_app.server.test_client()
    login(client, "anna")
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/logout").status_code == 303
    assert client.get("/_dash-layout").status_code == 401
    events = [e for e in read_events(secured.audit_log) if e.get("user") == "anna"]
    assert [e["event"] for e in events[-2:]] == ["login", "logout"]
    assert events[-2]["role"] == "analyst" and events[-2]["ip"] == "127.0.0.1"


def test_next_never_leaves_the_site(dash_app, secured):
    client = dash_app.server.test_client()
    r = client.post("/login", data={"username": "anna", "password": PASSWORDS["anna"],
                                    "csrf_token": _csrf(client), "next": "//evil.example"})
    assert r.headers["Location"] == "/"


def test_removed_account_loses_its_session(dash_app, secured):
    store = AccountStore(secured.accounts_file)
    store.add("temp", "temporary-password", "analyst")
    client = dash_app.server.test_client()
    login(client, "temp", "temporary-password")
    assert client.get("/_dash-layout").status_code == 200
    store.remove("temp")
    assert client.get("/_dash-layout").status_code == 401


# ----------------------------------------------------------------- roles
def test_viewer_is_refused_patient_rows(viewer, dependencies, secured):
    for output in sorted(ids.PATIENT_ROW_OUTPUTS):
        r = viewer.post(CALLBACK, json=body_for(find(dependencies, output)))
        assert r.status_code == 403, output
        assert "aggregate results only" in r.get_json()["error"]
        assert b"rowData" not in r.data
    refused = [e for e in read_events(secured.audit_log) if e["event"] == "refused"]
    assert {e["view"] for e in refused} >= set(ids.PATIENT_ROW_OUTPUTS)


def test_viewer_gets_every_aggregate_callback(viewer, dependencies):
    """Every other server callback is allowed to a viewer (answers 200 or 204); sharing
    studies is an admin's (tests/integration/test_sharing.py)."""
    allowed = [d for d in server_callbacks(dependencies)
               if not any(k in d["output"] for k in ANALYST_OUTPUTS | ids.ADMIN_OUTPUTS)
               and "MATCH" not in d["output"]]  # a MATCH output needs a concrete id to call
    assert len(allowed) >= 10
    for dep in allowed:
        r = viewer.post(CALLBACK, json=body_for(dep))
        assert r.status_code in (200, 204), (dep["output"], r.status_code)


def test_viewer_may_not_open_a_study(viewer, dependencies):
    """Opening a study is an analyst's action: the wizard's callbacks and the upload."""
    for dep in server_callbacks(dependencies):
        if any(k in dep["output"] for k in ids.OPEN_STUDY_OUTPUTS):
            r = viewer.post(CALLBACK, json=body_for(dep))
            assert r.status_code == 403, dep["output"]
    r = viewer.post("/studies/upload?kind=patient", data=b"patient_id\nP1\n",
                    headers={"X-Explorer-Upload": "1", "X-Filename": "x.csv"})
    assert r.status_code == 403 and b"analyst" in r.data


def test_patient_row_outputs_are_outputs_of_the_app(dependencies):
    outputs = {d["output"] for d in dependencies}
    assert ids.PATIENT_ROW_OUTPUTS <= outputs
    assert ids.OPEN_STUDY_OUTPUTS <= {k for d in dependencies for k in
                                      d["output"].strip(".").split("...")}
    assert set(ids.DOWNLOAD_OUTPUTS) <= outputs


def test_analyst_gets_rows_and_the_download_is_audited(analyst, dependencies, secured):
    grid = body_for(find(dependencies, "data-grid.getRowsResponse"), {
        "data-grid.getRowsRequest": {"startRow": 0, "endRow": 50},
        f"{ids.FILTER_STORE}.data": AGE})
    r = analyst.post(CALLBACK, json=grid)
    assert r.status_code == 200
    rows = r.get_json()["response"]["data-grid"]["getRowsResponse"]["rowData"]
    assert len(rows) == 50
    dl = body_for(find(dependencies, "data-download.data"), {
        "data-csv.n_clicks": 1, f"{ids.FILTER_STORE}.data": AGE})
    r = analyst.post(CALLBACK, json=dl)
    assert r.status_code == 200
    sent = r.get_json()["response"]["data-download"]["data"]
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(sent["content"]))) as zf:
        n_rows = len(zf.read("data.csv").decode().strip().splitlines()) - 1  # minus header
    event = [e for e in read_events(secured.audit_log) if e["event"] == "download"][-1]
    assert event["user"] == "anna" and event["view"] == "data-download.data"
    assert event["kind"] == "patient rows" and event["query"] == "age=50-70"
    assert event["rows"] == n_rows  # reference: the rows of the file the analyst received
    assert 0 < n_rows < 1347


def test_study_load_is_audited(analyst, dependencies, secured):
    counts = body_for(find(dependencies, f"{ids.GROUP_COUNTS}.children"),
                      {f"{ids.FILTER_STORE}.data": AGE})
    assert analyst.post(CALLBACK, json=counts).status_code == 200
    events = [e for e in read_events(secured.audit_log) if e["event"] == "study_load"]
    # reference: the bundled study's row count, read by pandas
    assert events and events[0]["rows"] == len(pd.read_csv(BUNDLED_COHORT))
    assert len(events[0]["fingerprint"]) >= 12
