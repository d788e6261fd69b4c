"""CSRF protection of every portal form: a random nonce in a SameSite cookie, and in each form its HMAC under the
portal secret. A post whose form token does not match its cookie is refused."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from aiohttp import web

from aduan.kernel.config import Settings
from aduan.kernel.privacy import secret_file

SECRET_ENV = "ADUAN_PORTAL_SECRET"
SECRET_FILE = "portal.secret"
COOKIE = "lapor_sesi"
FIELD = "csrf"


class Csrf:
    """Issues and checks form tokens under one secret."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    @classmethod
    def from_settings(cls, settings: Settings) -> "Csrf":
        """Under ``ADUAN_PORTAL_SECRET``, else ``<ADUAN_HOME>/portal.secret`` (created once)."""
        return cls(os.environ.get(SECRET_ENV) or secret_file(settings.home, SECRET_FILE))

    def _token(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def nonce(request: web.Request) -> str:
        """The request's nonce: its cookie's, or a new one (:meth:`keep` sets the cookie)."""
        return request.cookies.get(COOKIE) or request.setdefault("csrf_nonce", secrets.token_urlsafe(18))

    def token(self, request: web.Request) -> str:
        """The token the forms of this response carry."""
        return self._token(self.nonce(request))

    def valid(self, request: web.Request, submitted: str) -> bool:
        """Whether a posted form's token belongs to the request's cookie."""
        nonce = request.cookies.get(COOKIE)
        return bool(nonce) and hmac.compare_digest(self._token(nonce), submitted)

    @staticmethod
    def keep(request: web.Request, response: web.StreamResponse) -> None:
        """Set the cookie when this request issued a new nonce."""
        if "csrf_nonce" in request:
            response.set_cookie(COOKIE, request["csrf_nonce"], httponly=True, samesite="Strict", path="/")
