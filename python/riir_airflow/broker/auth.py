"""Authentication and roles in the manner of Airflow 3's simple auth manager.

Users and roles come from `[core] simple_auth_manager_users` ("name:role,name2:role2"); passwords live in the JSON
file `[core] simple_auth_manager_passwords_file` (default `$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated`,
created mode 0600) and are generated on first start for users that have none: shown on the terminal, never logged.
`POST /auth/token` trades a name and password for a JWT made with PyJWT exactly like Airflow's api-server
(`JWTGenerator`): HS512 with `[api_auth] jwt_secret` unless `[api_auth] jwt_algorithm` says otherwise (or RS256/EdDSA
with `jwt_private_key_path`), a `kid` header, `jti/iss/aud/nbf/exp/iat` plus `sub`, `role` and `teams` claims, audience
`[api_auth] jwt_audience` (default "apache-airflow"). A token from either side therefore verifies on the other with
the same secret. Every API call sends it as `Authorization: Bearer <JWT>`.
`[core] simple_auth_manager_all_admins = True` (off by default; for local use only) makes everyone an admin and lets
`GET /auth/token` hand out tokens with no credentials.
"""

from __future__ import annotations

import enum
import hmac
import json
import logging
import secrets
import sys
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

from riir_airflow.config import AirflowConfigParser
from riir_airflow.secret_files import write_secret_file

log = logging.getLogger(__name__)
DEFAULT_AUDIENCE = "apache-airflow"  # Airflow's BaseAuthManager._get_jwt_audience() fallback
# PyJWT warns on every call when an HMAC key is shorter than the hash; Airflow accepts such secrets (its own generated
# one is 22 characters), so we accept them too and say it once, when the broker starts, instead.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)


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


# Tokens verified once are remembered until they expire: a client sends the same token with every request, and
# checking its signature and claims again cost more CPU than a small list page. Only `exp` can turn a token that was
# valid into an invalid one (`nbf` and `iat` only become more valid with time), so a remembered token is
# answered after one comparison with the clock.
VERIFIED_TOKENS_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class _Verified:
    user: User
    expires: float  # the token's `exp` claim (seconds since the epoch)


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


def passwords_file_path(config: AirflowConfigParser) -> Path:
    path = config.get("core", "simple_auth_manager_passwords_file", fallback=None) or ""
    return Path(path) if path else config.airflow_home / "simple_auth_manager_passwords.json.generated"


def ensure_passwords(config: AirflowConfigParser, *, announce: bool = True) -> tuple[dict[str, str], dict[str, str]]:
    """(all passwords, the ones generated now) for `[core] simple_auth_manager_users`.

    New passwords are written to the 0600 passwords file (atomically) and printed on the terminal when there is one;
    they never go to a log file: without a terminal the log line names the file instead.
    """
    users = parse_users(config.get("core", "simple_auth_manager_users", fallback="") or "")
    path = passwords_file_path(config)
    stored: dict[str, str] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text())
            if not isinstance(loaded, dict):
                raise ValueError("not an object")
            stored = {str(k): str(v) for k, v in loaded.items()}
        except ValueError as err:
            raise ValueError(f"{path}: not a JSON object of user -> password ({err})") from None
    new = {name: secrets.token_urlsafe(12) for name in users if name not in stored}
    if new:
        stored.update(new)
        write_secret_file(path, json.dumps(stored))
        for name, password in new.items() if announce else ():
            if sys.stderr.isatty():
                print(f"Simple auth manager | Password for user '{name}': {password}", file=sys.stderr)
            else:
                log.warning("Simple auth manager | Password for user '%s' generated: read it in %s", name, path)
    return stored, new


class AuthManager:
    """Users, passwords and JWTs for one broker process (all workers share the file and the secret)."""

    def __init__(self, config: AirflowConfigParser) -> None:
        self.all_admins = config.getboolean("core", "simple_auth_manager_all_admins", fallback=False)
        self.users = parse_users(config.get("core", "simple_auth_manager_users", fallback="") or "")
        self._signing_key, self._verifying_key, default_algorithm = _keys(config)
        configured = [a.strip() for a in (config.get("api_auth", "jwt_algorithm", fallback="") or "").split(",")]
        configured = [a for a in configured if a and a != "GUESS"]
        self.algorithms = configured or [default_algorithm]
        self.kid = config.get("api_auth", "jwt_kid", fallback=None) or "not-used"
        self.expiration = config.getint("api_auth", "jwt_expiration_time", fallback=86400)
        self.cli_expiration = config.getint("api_auth", "jwt_cli_expiration_time", fallback=3600)
        self.leeway = config.getint("api_auth", "jwt_leeway", fallback=10)
        issuers = [i.strip() for i in (config.get("api_auth", "jwt_issuer", fallback="") or "").split(",")]
        self.issuers = [i for i in issuers if i]
        self.audience = config.get("api_auth", "jwt_audience", fallback=None) or DEFAULT_AUDIENCE
        self.passwords_file = passwords_file_path(config)
        self.passwords: dict[str, str] = {}
        self._verified: dict[str, _Verified] = {}  # token -> its user, see verify()
        if not self.all_admins:
            self.passwords, _ = ensure_passwords(config)

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
        """A token with Airflow's claims (`SimpleAuthManager.serialize_user` + `JWTGenerator.generate`)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": user.username,
            "role": user.role.name.lower(),  # as written in simple_auth_manager_users (Airflow: "admin")
            "teams": None,
            "jti": uuid.uuid4().hex,
            "nbf": now,
            "exp": now + (self.expiration if expires_in is None else expires_in),
            "iat": now,
        }
        if self.issuers:
            claims["iss"] = self.issuers[0]
        if self.audience:
            claims["aud"] = self.audience
        algorithm = self.algorithms[0]
        return jwt.encode(claims, self._signing_key, algorithm=algorithm, headers={"alg": algorithm, "kid": self.kid})

    def verify(self, token: str) -> User:
        """The token's user; AuthError 401 when expired, 403 when invalid (Airflow's statuses)."""
        known = self._verified.get(token)
        if known is not None and known.expires > time.time() - self.leeway:
            return known.user
        user, expires = self._decode(token)
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            self._verified.clear()  # rarely reached (one entry per live token); a clear is simplest and bounded
        self._verified[token] = _Verified(user, expires)
        return user

    def _decode(self, token: str) -> tuple[User, float]:
        """Checks the signature and every claim: (user, its `exp`)."""
        try:
            claims = jwt.decode(
                token,
                self._verifying_key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuers or None,
                options={"require": ["exp", "iat", "nbf"]},
                leeway=self.leeway,
            )
            user = User(str(claims["sub"]), Role[str(claims["role"]).upper()])
            expires = float(claims["exp"])
        except jwt.ExpiredSignatureError:
            raise AuthError(401, "Token Expired") from None
        except (jwt.InvalidTokenError, KeyError, TypeError, ValueError):
            raise AuthError(403, "Invalid JWT token") from None
        return user, expires


def _keys(config: AirflowConfigParser) -> tuple[Any, Any, str]:
    """(signing key, verifying key, default algorithm): `jwt_private_key_path` (RSA -> RS256, Ed25519 -> EdDSA)
    or the shared `jwt_secret` (HS512), as Airflow's `get_signing_args`."""
    key_path = config.get("api_auth", "jwt_private_key_path", fallback=None) or ""
    if key_path:
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            private = load_pem_private_key(Path(key_path).read_bytes(), password=None)
        except (OSError, ValueError) as err:
            raise ValueError(f"[api_auth] jwt_private_key_path {key_path}: {err}") from err
        if isinstance(private, rsa.RSAPrivateKey):
            return private, private.public_key(), "RS256"
        if isinstance(private, ed25519.Ed25519PrivateKey):
            return private, private.public_key(), "EdDSA"
        raise ValueError(f"[api_auth] jwt_private_key_path {key_path}: only RSA and Ed25519 keys are supported")
    secret = config.get("api_auth", "jwt_secret", fallback="") or ""
    if not secret:
        # Tokens then only verify in this process; `riir-airflow broker` sets one for all its workers.
        log.warning("`api_auth/jwt_secret` was empty, using a generated one for now. Please set this in your config")
        secret = secrets.token_urlsafe(32)
    if len(secret.encode()) < 64:
        log.warning("[api_auth] jwt_secret is shorter than 64 bytes, the length RFC 7518 recommends for HS512")
    return secret, secret, "HS512"
