"""The one background-callback manager of the app (long jobs such as the meeting kit).

``background_manager()`` gives a Dash ``DiskcacheManager`` whose job results live in
``<CACHE_DIR>/../background`` (a diskcache folder next to the analysis cache), created
once per process. For several workers on a team server, this is the one place to
switch to ``CeleryManager``.
"""

from __future__ import annotations

import functools
from pathlib import Path

from analysis import settings as settings_mod


@functools.lru_cache(maxsize=1)
def background_manager():
    """The app's ``DiskcacheManager`` (one per process)."""
    import diskcache
    from dash import DiskcacheManager

    folder = Path(settings_mod.current().cache_dir).parent / "background"
    return DiskcacheManager(diskcache.Cache(str(folder)), expire=3600)


__all__ = ["background_manager"]
