"""Signed, expiring API tokens. A token names the user and their token version; bumping the
version (password change, logout everywhere) revokes every token issued before."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "socorg.api-token"


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says."""

    user_id: int
    token_version: int


class InvalidToken(Exception):
    """The token is malformed, forged, expired or revoked."""


def issue(secret: str, user_id: int, token_version: int) -> str:
    """A new token for the user at their current token version."""
    return URLSafeTimedSerializer(secret, salt=SALT).dumps({"u": user_id, "v": token_version})


def read(secret: str, token: str, max_age: int) -> TokenClaims:
    """Verify signature and age; return the claims or raise InvalidToken."""
    try:
        data = URLSafeTimedSerializer(secret, salt=SALT).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidToken("the token has expired") from exc
    except BadSignature as exc:
        raise InvalidToken("the token is not valid") from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("v"), int):
        raise InvalidToken("the token is not valid")
    return TokenClaims(user_id=data["u"], token_version=data["v"])
