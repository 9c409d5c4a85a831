"""URLs as they may be shown or stored: without the user information they may carry.

``--endpoint-url http://KEY:SECRET@host`` is the only way some gateways take credentials,
and botocore's errors repeat the URL; the run's target in the journal, its summary, and
every error text that can hold a URL are written with ``user:password@`` taken out.
"""

from __future__ import annotations

import re

# scheme "://" then everything up to the last "@" of the authority (which is how a URL
# parser reads it), before the path, query, fragment or the end of the word.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s\"'<>]*@")


def without_userinfo(text: str) -> str:
    """``text`` with the user information of every URL in it removed."""
    return _USERINFO.sub(r"\1", text)
