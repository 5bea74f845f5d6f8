"""An admin shares a study with the team and unshares it; nobody else may.

Login required, four accounts; a study opened by anna (a record in the study book,
its dataset registered in this process). Whether another user sees it is checked the
way a browser finds out: ben follows the study's link (``?ds=<fingerprint>``) and is
either switched to it (the page reloads) or told it is not open for him.
"""

from __future__ import annotations

import json
import re
import time

import pandas as pd
import pytest

from accounts.audit import read_events
from accounts.store import AccountStore
from analysis import settings as settings_mod
from analysis.data import registry
from analysis.data.loader import load_dataset
from analysis.data.studies import StudyRecord
from analysis.settings import BUNDLED_COHORT
from components import ids
from shell import sharing

PASSWORD = "a long test password"
CALLBACK = "/_dash-update-component"
SHARE_OUTPUT = f"..{sharing.STATUS}.children...{sharing.LIST}.children.."


@pytest.fixture(scope="module")
def team(dash_app, dependencies, tmp_path_factory):
    """Login required; vera (viewer), anna and ben (analysts), adam (admin); anna's study."""
    import app as app_module

    folder = tmp_path_factory.mktemp("team")
    settings = settings_mod.Settings(
        cache_type="SimpleCache", auth="required", accounts_file=str(folder / "accounts.json"),
        audit_log=str(folder / "audit.log"), secret_key="team-secret",
        study_dir=str(folder / "studies"))
    store = AccountStore(settings.accounts_file)
    for name, role in (("vera", "viewer"), ("anna", "analyst"), ("ben", "analyst"),
                       ("adam", "admin")):
        store.add(name, PASSWORD, role)
    app_module.configure(settings)
    small = folder / "anna_study.csv"
    pd.read_csv(BUNDLED_COHORT).head(400).to_csv(small, index=False)
    ds = load_dataset(small)
    fp = registry.register(ds)
    registry.study_store()[0].add(StudyRecord(
        fingerprint=fp, owners=("anna",), shared=False, patient_file="0" * 64,
        lesion_file=None, mapping=None, sheet=None, name="anna_study.csv",
        opened_at=time.time()))
    yield settings, fp
    app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))


def _login(dash_app, name: str):
    c = dash_app.server.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = c.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303
    return c


def _press(client, fp: str, share: bool):
    button = {"type": sharing.BUTTON, "fp": fp, "share": share}
    prop_id = json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"
    body = {"output": SHARE_OUTPUT,
            "outputs": [{"id": sharing.STATUS, "property": "children"},
                        {"id": sharing.LIST, "property": "children"}],
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]], "state": [],
            "changedPropIds": [prop_id]}
    return client.post(CALLBACK, json=body)


def _follow_link(client, fp: str) -> bool:
    """Whether the study's link opens it for this user (True) or is refused (False)."""
    body = {"output": f"..{ids.RELOAD}.href...{ids.STUDY_MESSAGE}.children..",
            "outputs": [{"id": ids.RELOAD, "property": "href"},
                        {"id": ids.STUDY_MESSAGE, "property": "children"}],
            "inputs": [{"id": ids.URL, "property": "search", "value": f"?ds={fp}"}],
            "state": [{"id": ids.URL, "property": "pathname", "value": "/"}],
            "changedPropIds": [f"{ids.URL}.search"]}
    r = client.post(CALLBACK, json=body)
    assert r.status_code == 200
    out = r.get_json()["response"]
    if ids.RELOAD in out:
        return True
    assert "not open for you" in json.dumps(out[ids.STUDY_MESSAGE])
    return False


def _open_page(client) -> str:
    body = {"output": f"..{ids.PAGE_CONTENT}.children...{ids.PAGE_TITLE}.data..",
            "outputs": [{"id": ids.PAGE_CONTENT, "property": "children"},
                        {"id": ids.PAGE_TITLE, "property": "data"}],
            "inputs": [{"id": ids.URL, "property": "pathname", "value": "/open"}],
            "state": [{"id": ids.URL, "property": "search", "value": ""}],
            "changedPropIds": [f"{ids.URL}.pathname"]}
    r = client.post(CALLBACK, json=body)
    assert r.status_code == 200
    return r.data.decode()


def test_only_admins_see_the_sharing_control(dash_app, team):
    assert sharing.LIST in _open_page(_login(dash_app, "adam"))
    assert sharing.LIST not in _open_page(_login(dash_app, "anna"))


def test_an_analyst_or_viewer_cannot_share(dash_app, team):
    settings, fp = team
    for name in ("anna", "vera"):  # anna even owns the study
        r = _press(_login(dash_app, name), fp, True)
        assert r.status_code == 403, name
        assert "needs the admin role" in r.get_json()["error"]
    assert not registry.study_store()[0].get(fp).shared
    refused = [e for e in read_events(settings.audit_log) if e["event"] == "refused"]
    assert {e["user"] for e in refused} >= {"anna", "vera"}


def test_shared_the_team_sees_it_unshared_not(dash_app, team):
    settings, fp = team
    adam, ben = _login(dash_app, "adam"), _login(dash_app, "ben")
    assert not _follow_link(ben, fp)  # anna's study: not ben's
    r = _press(adam, fp, True)
    assert r.status_code == 200
    assert "now shared with the team" in r.data.decode()
    assert _follow_link(_login(dash_app, "ben"), fp)
    r = _press(adam, fp, False)
    assert r.status_code == 200 and "no longer shared" in r.data.decode()
    assert not _follow_link(_login(dash_app, "ben"), fp)
    events = [(e["event"], e["user"], e["fingerprint"]) for e in read_events(settings.audit_log)
              if e["event"] in ("study_shared", "study_unshared")]
    assert events == [("study_shared", "adam", fp), ("study_unshared", "adam", fp)]
