"""What keeps a local page local: the start token, sessions, CSRF, safe names, headers.

The app holds a pool of personal data, so it trusts nothing that a browser sends. Another site
open in the same browser can post forms to 127.0.0.1 and a DNS-rebinding page can call it
under its own host name; the token (in the URL printed at start), the session cookie it buys,
the CSRF token on every form and the Host check stop each of those.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

SESSION_COOKIE = "balancer_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# Reports are self-contained pages with inline CSS; scripts only from the app itself.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-src 'self'; "
    "frame-ancestors 'self'; base-uri 'none'"
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Guard:
    """The per-start secret: the URL token, the sessions it opened, their CSRF tokens."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(24)
        self._key = secrets.token_bytes(32)
        self._sessions: set[str] = set()

    def open_session(self) -> str:
        session = secrets.token_urlsafe(24)
        self._sessions.add(session)
        return session

    def known(self, session: str | None) -> bool:
        return session is not None and session in self._sessions

    def csrf(self, session: str) -> str:
        """The CSRF token of a session: an HMAC, so nothing more is stored per session."""
        return hmac.new(self._key, session.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: str | None, sent: str | None) -> bool:
        if not self.known(session) or not sent:
            return False
        assert session is not None
        return hmac.compare_digest(self.csrf(session), sent)

    def token_ok(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(self.token, sent)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cookie_value(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is no session
                return None
            if name in jar:
                return jar[name].value
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class GuardMiddleware:
    """Refuse every request that has neither the start token nor a session it opened.

    The first visit carries ``?token=``; it gets a session cookie (HttpOnly, SameSite=Strict)
    and is sent on to the same page without the token, so the token does not stay in the
    address bar or the history. The Host header must be a loopback name or the bound host,
    which defeats DNS rebinding; every answer carries a strict Content-Security-Policy.
    """

    def __init__(self, app: ASGIApp, guard: Guard, hosts: set[str], forbidden: str) -> None:
        self.app = app
        self.guard = guard
        self.hosts = hosts
        self.forbidden = forbidden

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = (_header(scope, b"host") or "").rsplit(":", 1)[0].strip("[]")
        if host not in self.hosts:
            await _plain(send, 400, self.forbidden)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        sent = query.get("token", [None])[0]
        session = cookie_value(scope, SESSION_COOKIE)
        if self.guard.token_ok(sent):
            if session is None or not self.guard.known(session):
                session = self.guard.open_session()
            await _redirect_with_cookie(send, scope.get("path", "/"), session)
            return
        if not self.guard.known(session):
            await _plain(send, 403, self.forbidden)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"SAMEORIGIN"),
                    (b"cache-control", b"no-store"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _redirect_with_cookie(send: Send, path: str, session: str) -> None:
    cookie = f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict"
    location = path if path.startswith("/") and not path.startswith("//") else "/"
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", location.encode("latin-1", "replace")),
                (b"set-cookie", cookie.encode()),
                (b"content-length", b"0"),
                (b"referrer-policy", b"no-referrer"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, *, default: str = "file", keep_suffix: bool = True) -> str:
    """A file name that cannot leave its folder: no separators, no dots in front, ASCII only.

    Both kinds of slash count (a Windows browser may send ``C:\\Users\\x\\pool.xlsx``), so only
    the last part is kept; then anything but letters, digits, ``.``, ``_`` and ``-`` becomes
    ``-``.
    """
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = _UNSAFE.sub("-", base).strip(".-_")
    if not keep_suffix:
        base = base.replace(".", "-")
    base = base[:80].strip(".-_")
    return base or default


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused unless it resolves inside ``folder`` (belt and braces)."""
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()) or path == folder.resolve():
        raise PermissionError(name)
    return path
