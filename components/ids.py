"""Component ids shared by the shell, the filter panel and the pages.

Ids used by one page only are page-prefixed strings in that page's module. Repeated
filter controls use dict ids (matched with ``ALL``): ``{"type": RANGE, "name": var}``.
"""

from __future__ import annotations

# --- shell (app.py, shell/) ------------------------------------------------------------------
URL = "url"
FILTER_STORE = "filter-store"          # the canonical filter query (never patient rows)
NAV_LINK = "nav-link"                  # dict id {"type": NAV_LINK, "path": "/..."}
DATA_STATUS = "data-status"            # dataset line in the navbar / load report
LOAD_REPORT = "load-report"
OPEN_STUDY_LINK = "open-study-link"    # navbar link to the 'Open a study' page
BACK_TO_DEFAULT = "back-to-default"    # navbar link shown while a study of one's own is open
STUDY_MESSAGE = "study-message"        # why a link's study could not be opened
RELOAD = "reload"                      # a second Location: a full reload after a study switch
ERROR_ALERT = "error-alert"            # unexpected callback errors (no traceback shown)
SHELL_ROOT = "shell-root"
PAGE_CONTENT = "page-content"          # the current page (routed on the URL path)
PAGE_TITLE = "page-title"              # document title of the current page
JOB_TICKET = "job-ticket"              # signed user/role/study of this session (shell/jobs.py)
JOB_REQUEST = "job-request"            # a page's analyses to run as a background job
JOB_PANEL = "job-panel"                # the job's progress bar and Cancel (shell/page_jobs.py)
JOB_PROGRESS = "job-progress"
JOB_CANCEL = "job-cancel"
JOB_STATUS = "job-status"

# --- filter panel (components/filter_panel.py) ------------------------------------------
RANGE = "flt-range"                    # dict id {"type": RANGE, "name": var}
CATEGORY = "flt-cat"                   # dict id {"type": CATEGORY, "name": var}
GROUPS = "flt-groups"
LDL_THERAPY = "flt-ldl-therapy"
SBP_THERAPY = "flt-sbp-therapy"
LDL_CUT = "flt-ldl-cut"
SBP_CUT = "flt-sbp-cut"
MISSING = "flt-missing"
RESET = "flt-reset"
GROUP_COUNTS = "flt-group-counts"
FILTER_MESSAGE = "flt-message"

# --- page options kept in the URL (dict id {"type": PAGE_OPTION, "key": key}) ----------
PAGE_OPTION = "page-opt"


def range_id(name: str) -> dict[str, str]:
    """Id of the range slider of a numeric variable."""
    return {"type": RANGE, "name": name}


def category_id(name: str) -> dict[str, str]:
    """Id of the checklist of a categorical or yes/no variable."""
    return {"type": CATEGORY, "name": name}


def option_id(key: str) -> dict[str, str]:
    """Id of a page option that lives in the URL query string under ``key``."""
    return {"type": PAGE_OPTION, "key": key}


#: Per page: its path and a CSS selector that exists once the page's main result is
#: drawn (browser tests and the navigation benchmark wait for it).
PAGE_READY: dict[str, tuple[str, str]] = {
    "overview": ("/", "#ov-ls-means .js-plotly-plot"),
    "baseline": ("/baseline", "#bl-table-1"),
    "progression": ("/progression", "#pr-dose .js-plotly-plot"),
    "comparison": ("/comparison", "#cmp-forest .js-plotly-plot"),
    "therapy": ("/therapy", "#th-curve-sbp_intensive .js-plotly-plot"),
    "data": ("/data", "#data-grid .ag-row"),
    "definition": ("/definition", "#def-curve-length .js-plotly-plot"),
}

# --- outputs the server guards by role (accounts, serving) -----------------------------
#: Callback outputs ("id.prop") that carry patient rows: only analysts and admins get
#: them (the Data page's grid blocks and its download). The ids are those of
#: pages/data.py; a test checks that every one is an output of a registered callback.
PATIENT_ROW_OUTPUTS = frozenset({"data-grid.getRowsResponse", "data-download.data"})
#: Callback outputs of the 'Open a study' page (pages/open.py): opening a study is an
#: analyst's action too (a viewer sees aggregate results of the studies shared with them).
OPEN_STUDY_OUTPUTS = frozenset({"open-wizard.children", "open-report.children",
                                "open-go.href", "open-mapping-file.data"})
#: Callback outputs of sharing studies with the team (shell/sharing.py): admins only.
ADMIN_OUTPUTS = frozenset({"open-share-status.children", "open-share-list.children"})
#: Download outputs and what they hold, for the audit log.
DOWNLOAD_OUTPUTS = {"data-download.data": "patient rows", "bl-download.data": "Table 1"}
