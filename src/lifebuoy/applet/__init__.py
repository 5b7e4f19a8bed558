"""The applet: what the customer runs to be helped.

``lifebuoy-applet FILE`` opens a session file downloaded from the site's
customer pages (docs/sessions.md), joins the session, waits for a technician
and shows who is connected, the comparison code and the chat, with an End
session button that works at any moment. See docs/applet.md.

Modules: ``_session_file`` (reading the file strictly), ``_site`` (the applet
API), ``_messages`` (channel messages), ``_core`` (the session logic, no user
interface), ``_terminal`` and ``_tk`` (the two front ends), ``_audit`` (the
customer's local record), ``_cleanup`` (what is removed at the end).

Exceptions::

    AppletError                 root; str() is a sentence for the customer
    ├── SessionFileError        the session file cannot be used (exit code 2)
    ├── SiteError               the site refused or could not be reached
    └── MessageError            a channel message broke the rules; the session ends
"""

from ._audit import AuditLog
from ._core import AppletCore, Outcome
from ._errors import AppletError, MessageError, SessionFileError, SiteError
from ._places import Machine, state_dir
from ._session_file import SessionFile, load_session_file, parse_session_file
from ._site import AppletSite, JoinAnswer, SiteApi
from ._updates import (
    ChatDelivered,
    ChatShown,
    CodeShown,
    ConsentRequested,
    Ended,
    Notice,
    Status,
    StatusChanged,
    TechnicianShown,
    Update,
)

__all__ = [
    "AppletCore",
    "AppletError",
    "AppletSite",
    "AuditLog",
    "ChatDelivered",
    "ChatShown",
    "CodeShown",
    "ConsentRequested",
    "Ended",
    "JoinAnswer",
    "Machine",
    "MessageError",
    "Notice",
    "Outcome",
    "SessionFile",
    "SessionFileError",
    "SiteApi",
    "SiteError",
    "Status",
    "StatusChanged",
    "TechnicianShown",
    "Update",
    "load_session_file",
    "parse_session_file",
    "state_dir",
]
