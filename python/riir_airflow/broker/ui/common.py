"""What every UI page shares: the templates, the signed-in user (the REST API's JWT in a cookie), rendering."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from riir_airflow._version import __version__
from riir_airflow.broker.auth import AuthError, Role, User
from riir_airflow.broker.deps import get_auth

HERE = Path(__file__).parent
TOKEN_COOKIE = "_token"  # the cookie the REST API's auth dependency also reads, so the UI's fetch() calls work

# Airflow's state colours (airflow.settings.STATE_COLORS), so a user's eye carries over.
STATE_COLORS = {
    "queued": "gray", "running": "lime", "success": "green", "restarting": "violet", "failed": "red",
    "up_for_retry": "gold", "up_for_reschedule": "turquoise", "upstream_failed": "orange", "skipped": "hotpink",
    "removed": "lightgrey", "scheduled": "tan", "deferred": "mediumpurple", "awaiting_input": "mediumslateblue",
}  # fmt: skip


def _dt(value: Any) -> str:
    if not isinstance(value, datetime.datetime):
        return "" if value is None else str(value)
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: Any) -> str:
    if seconds is None:
        return ""
    if isinstance(seconds, datetime.timedelta):
        seconds = seconds.total_seconds()
    total = float(seconds)
    if total < 60:
        return f"{total:.2f}s"
    minutes, secs = divmod(int(total), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def _state_label(state: str | None) -> str:
    return "no status" if state is None else state.replace("_", " ")


def _tojson_pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every value is shown as text: HTML in a doc, task id, param, conf or log line is never run
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(dt=_dt, duration=_duration, state_label=_state_label, pretty=_tojson_pretty, q=quote)
env.globals.update(version=__version__, Role=Role, STATE_COLORS=STATE_COLORS)


class LoginRequired(Exception):
    """Raised by `ui_user` when a page is opened without a valid session; answered with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def ui_user(request: Request) -> User:
    auth = get_auth(request)
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        if auth.all_admins:
            return User("anonymous", Role.ADMIN)
        raise LoginRequired(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
    try:
        user = auth.verify(token)
    except AuthError:
        raise LoginRequired(str(request.url.path)) from None
    return User(user.username, Role.ADMIN) if auth.all_admins else user


UiUser = Annotated[User, Depends(ui_user)]


def require_role(user: User, role: Role) -> None:
    if user.role < role:
        raise HTTPException(403, "Forbidden")


def render(request: Request, template: str, user: User | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    page = env.get_template(template).render(
        request=request, user=user, can_edit=bool(user and user.role >= Role.USER),
        can_admin=bool(user and user.role >= Role.OP), path=request.url.path, **context,
    )  # fmt: skip
    return HTMLResponse(page, status_code=status_code)
