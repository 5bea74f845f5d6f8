"""Test-wide setup: the project root on sys.path and the browser options of dash_duo.

Browser tests (tests/browser) use dash's pytest plugin with Debian's chromium and
chromedriver; ``make test`` passes ``--headless``. The window is 1440 x 900 so the
saved screenshots match a laptop screen.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"


def pytest_setup_options():
    """Chrome options for dash_duo (hook of dash's testing plugin)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    if Path(CHROMIUM).exists():
        options.binary_location = CHROMIUM
    options.add_argument("--window-size=1440,900")
    options.add_argument("--force-device-scale-factor=1")
    return options
