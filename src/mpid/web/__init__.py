"""mpid.web: the staff pages, the JSON API (``/api/v1``) and the family inquiry portal.

Build the app with :func:`create_app` from :class:`WebSettings`; ``mpid serve`` does that and runs
it with uvicorn. See ``docs/web.md``.
"""

from mpid.web.app import API_PREFIX, create_app
from mpid.web.settings import WebSettings

__all__ = ["API_PREFIX", "WebSettings", "create_app"]
