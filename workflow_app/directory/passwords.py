"""Password hashing for users, over ``werkzeug.security``.

Production hashes with PBKDF2-SHA256 at 600,000 iterations (OWASP's current figure for
that algorithm), which costs roughly a tenth of a second per hash on purpose: that is
what makes a stolen hash expensive to guess. A test suite that logs in hundreds of times
cannot pay that, so :func:`set_hash_method` lets it switch to a cheap method. The method
is written into every hash, so :func:`check_password` verifies hashes made under any
method and switching never locks anyone out.
"""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

DEFAULT_METHOD = "pbkdf2:sha256:600000"
MIN_LENGTH = 8

_method = DEFAULT_METHOD


def set_hash_method(method: str) -> str:
    """Hash new passwords with ``method`` (a werkzeug method string); return the previous one to restore."""
    global _method
    if method != DEFAULT_METHOD:
        # Fail here, at configuration, rather than at the first user's password change
        # (the default is known good, and trying it would cost a production-strength hash).
        generate_password_hash("x" * MIN_LENGTH, method=method)
    previous, _method = _method, method
    return previous


def hash_password(plain: str) -> str:
    """Return a salted hash of ``plain``; refuse passwords shorter than eight characters."""
    if not plain:
        raise ValueError("password must not be empty")
    if len(plain) < MIN_LENGTH:
        raise ValueError(f"password must have at least {MIN_LENGTH} characters")
    return generate_password_hash(plain, method=_method)


def check_password(hashed: str, plain: str) -> bool:
    """Tell whether ``plain`` is the password that produced ``hashed``."""
    if not hashed or not plain:
        return False
    return check_password_hash(hashed, plain)
