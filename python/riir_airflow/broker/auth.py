"""Authentication and roles in the manner of Airflow 3's simple auth manager.

Users and roles come from `[core] simple_auth_manager_users` ("name:role,name2:role2"); passwords live in the JSON
file `[core] simple_auth_manager_passwords_file` (default `$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated`)
and are generated and logged on first start for users that have none. `POST /auth/token` trades a name and password
for a JWT (HS256, signed with `[api_auth] jwt_secret`); every API call sends it as `Authorization: Bearer <JWT>`.
`[core] simple_auth_manager_all_admins = True` (off by default; for local use only) makes everyone an admin and lets
`GET /auth/token` hand out tokens with no credentials.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riir_airflow.config import AirflowConfigParser

log = logging.getLogger(__name__)


class Role(enum.IntEnum):
    """Lowest to highest; each role has every permission of the roles below it."""

    VIEWER = 0  # read-only
    USER = 1  # + DAG actions (trigger, pause, clear, ...)
    OP = 2  # + connections, variables, pools, assets, config
    ADMIN = 3


class AuthError(Exception):
    """A request's credentials are missing or wrong; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class User:
    username: str
    role: Role


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_users(spec: str) -> dict[str, Role]:
    """`name:role[:teams]` entries separated by commas; the role name is case-insensitive."""
    users: dict[str, Role] = {}
    for entry in (e.strip() for e in spec.split(",")):
        if not entry:
            continue
        parts = entry.split(":")
        if len(parts) < 2 or not parts[0]:
            raise ValueError(f"[core] simple_auth_manager_users: {entry!r} is not 'username:role'")
        try:
            users[parts[0]] = Role[parts[1].strip().upper()]
        except KeyError:
            known = ", ".join(r.name.lower() for r in Role)
            raise ValueError(f"[core] simple_auth_manager_users: unknown role {parts[1]!r} (known: {known})") from None
    return users


class AuthManager:
    """Users, passwords and JWTs for one broker process (all workers share the file and the secret)."""

    def __init__(self, config: AirflowConfigParser) -> None:
        self.all_admins = config.getboolean("core", "simple_auth_manager_all_admins", fallback=False)
        self.users = parse_users(config.get("core", "simple_auth_manager_users", fallback="") or "")
        secret = config.get("api_auth", "jwt_secret", fallback="") or ""
        if not secret:
            # Tokens then only verify in this process; `riir-airflow broker` sets one for all its workers.
            log.warning("[api_auth] jwt_secret is not set: using a random secret for this process")
            secret = secrets.token_urlsafe(32)
        self._secret = secret.encode()
        self.expiration = config.getint("api_auth", "jwt_expiration_time", fallback=86400)
        self.cli_expiration = config.getint("api_auth", "jwt_cli_expiration_time", fallback=3600)
        self.leeway = config.getint("api_auth", "jwt_leeway", fallback=10)
        self.issuer = config.get("api_auth", "jwt_issuer", fallback=None) or None
        self.audience = config.get("api_auth", "jwt_audience", fallback=None) or None
        path = config.get("core", "simple_auth_manager_passwords_file", fallback=None) or ""
        self.passwords_file = (
            Path(path) if path else config.airflow_home / "simple_auth_manager_passwords.json.generated"
        )
        self.passwords: dict[str, str] = {}
        if not self.all_admins:
            self.passwords = self._load_passwords()

    def _load_passwords(self) -> dict[str, str]:
        stored: dict[str, str] = {}
        if self.passwords_file.exists():
            try:
                stored = {str(k): str(v) for k, v in json.loads(self.passwords_file.read_text()).items()}
            except (ValueError, AttributeError) as err:
                raise ValueError(f"{self.passwords_file}: not a JSON object of user -> password ({err})") from None
        missing = [name for name in self.users if name not in stored]
        for name in missing:
            stored[name] = secrets.token_urlsafe(12)
            log.warning("Simple auth manager | Password for user '%s': %s", name, stored[name])
        if missing:
            self.passwords_file.parent.mkdir(parents=True, exist_ok=True)
            self.passwords_file.write_text(json.dumps(stored))
            self.passwords_file.chmod(0o600)
        return stored

    # --- tokens ----------------------------------------------------------------------------------------------------
    def authenticate(self, username: str | None, password: str | None) -> User:
        if not username or not password:
            raise AuthError(400, "Username and password must be provided")
        role = self.users.get(username)
        expected = self.passwords.get(username)
        if role is None or expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
            raise AuthError(401, "Invalid credentials")
        return User(username, role)

    def issue(self, user: User, *, expires_in: int | None = None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "jti": uuid.uuid4().hex,
            "sub": user.username,
            "role": user.role.name,
            "iat": now,
            "nbf": now,
            "exp": now + (self.expiration if expires_in is None else expires_in),
        }
        if self.issuer:
            claims["iss"] = self.issuer
        if self.audience:
            claims["aud"] = self.audience
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def verify(self, token: str) -> User:
        """The token's user; AuthError 401 when expired, 403 when invalid (Airflow's statuses)."""
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header = json.loads(_unb64(header_b64))
            expected = hmac.new(self._secret, f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
            if header.get("alg") != "HS256" or not hmac.compare_digest(expected, _unb64(signature_b64)):
                raise ValueError("bad signature")
            claims = json.loads(_unb64(payload_b64))
            if not isinstance(claims, dict):
                raise ValueError("claims are not an object")
            now = time.time()
            if float(claims.get("nbf", 0)) > now + self.leeway:
                raise ValueError("not valid yet")
            if self.issuer and claims.get("iss") != self.issuer:
                raise ValueError("wrong issuer")
            if self.audience and claims.get("aud") != self.audience:
                raise ValueError("wrong audience")
            expired = float(claims["exp"]) < now - self.leeway
            user = User(str(claims["sub"]), Role[str(claims["role"]).upper()])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise AuthError(403, "Invalid JWT token") from None
        if expired:
            raise AuthError(401, "Token Expired")
        return user
