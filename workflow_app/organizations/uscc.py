"""The unified social credit code (统一社会信用代码, GB 32100-2015): check digits, validation, construction.

An 18-character code reads: registration authority (1) + organization kind (1) + the
registering region's GB/T 2260 code (6) + the GB 11714 organization code (8 body
characters and their own check digit) + the code's check digit (1).
"""

from __future__ import annotations

# GB 32100 leaves out I, O, S, V and Z so that they are not misread as 1, 0, 5, U and 2.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {ch: i for i, ch in enumerate(CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3**i mod 31

# GB 11714 (organization code) weights; there letters count A=10 … Z=35 by their place in
# the full alphabet, which differs from their value in CHARSET (J is 18 there, 19 here).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Registration authorities of GB 32100 Annex A (and later amendments: A 军队, N 农业, Y 其他).
AUTHORITIES = frozenset("123456789ANY")
CIVIL_AFFAIRS = "5"  # 民政
# Kinds of organization registered by civil affairs.
SOCIAL_GROUP = "1"  # 社会团体
PRIVATE_NON_ENTERPRISE = "2"  # 民办非企业单位
FOUNDATION = "3"  # 基金会
OTHER = "9"


def check_digit(first17: str) -> str:
    """Return the 18th character of a code whose first 17 characters are ``first17``."""
    if len(first17) != 17 or any(ch not in _VALUES for ch in first17):
        raise ValueError(f"need 17 characters from {CHARSET!r}, got {first17!r}")
    total = sum(_VALUES[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_code_check_digit(first8: str) -> str:
    """Return the 9th character of a GB 11714 organization code whose body is ``first8``."""
    if len(first8) != 8 or not all(ch.isascii() and (ch.isdigit() or ch.isupper()) for ch in first8):
        raise ValueError(f"need 8 digits or capital letters, got {first8!r}")
    total = sum(int(ch, 36) * w for ch, w in zip(first8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def is_valid(code: str) -> bool:
    """Tell whether ``code`` is a well-formed USCC with both check digits right (no case folding)."""
    if len(code) != 18 or any(ch not in _VALUES for ch in code):
        return False
    if code[0] not in AUTHORITIES or not code[2:8].isdigit():
        return False
    org_code = code[8:17]
    return org_code_check_digit(org_code[:8]) == org_code[8] and check_digit(code[:17]) == code[17]


def make(authority: str, kind: str, region6: str, org_body8: str) -> str:
    """Build a full code from its parts, computing the organization-code and final check digits."""
    if authority not in AUTHORITIES or len(authority) != 1:
        raise ValueError(f"unknown registration authority code {authority!r}")
    if len(kind) != 1 or kind not in _VALUES:
        raise ValueError(f"organization kind must be one character of {CHARSET!r}, got {kind!r}")
    if len(region6) != 6 or not region6.isascii() or not region6.isdigit():
        raise ValueError(f"region code must be 6 digits, got {region6!r}")
    # The body must also fit CHARSET, or the finished code could never validate.
    if len(org_body8) != 8 or any(ch not in _VALUES for ch in org_body8):
        raise ValueError(f"organization code body must be 8 characters of {CHARSET!r}, got {org_body8!r}")
    first17 = authority + kind + region6 + org_body8 + org_code_check_digit(org_body8)
    return first17 + check_digit(first17)
