"""The unified social credit code: both check digits, validation and construction."""

from __future__ import annotations

import random

import pytest

from workflow_app.organizations import uscc

# Codes published by the organizations themselves (two national civil-affairs registrants,
# well-known companies) and the example most USCC validators quote.
PUBLISHED = (
    "53100000MJ0065049E",
    "51100000MJ0000632D",
    "91110108551385082Q",
    "91440300708461136T",
    "91110105771583283D",
    "91110000802100433B",
    "91350100M000100Y43",
)


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert uscc.is_valid(code)
    assert uscc.check_digit(code[:17]) == code[17]
    assert uscc.org_code_check_digit(code[8:16]) == code[16]


def test_constructed_changchun_social_group_code_matches_hand_computation() -> None:
    # Organization code MJ000001: GB 11714 values M=22, J=19 → 66 + 133 + 2 = 201,
    # 201 % 11 = 3, 11 - 3 = 8. Then GB 32100 values (M=21, J=18 in its 31-character set)
    # over 51220100MJ0000018 sum to 1302 = 42 × 31, so 31 - 0 = 31, which is written 0.
    assert uscc.org_code_check_digit("MJ000001") == "8"
    assert uscc.make(uscc.CIVIL_AFFAIRS, uscc.SOCIAL_GROUP, "220100", "MJ000001") == "51220100MJ00000180"
    assert uscc.is_valid("51220100MJ00000180")


def test_check_digit_thirty_is_written_y() -> None:
    code = uscc.make(uscc.CIVIL_AFFAIRS, uscc.FOUNDATION, "220000", "MJ000023")
    assert code == "53220000MJ0000237Y"
    assert uscc.is_valid(code)


@pytest.mark.parametrize(("body", "expected"), [
    ("D2143569", "X"),  # the worked example of GB 11714: remainder 1 → 10 → X
    ("00000006", "X"),
    ("00000000", "0"),  # remainder 0 → 11 → 0
    ("12345678", "8"),
])
def test_org_code_check_digit(body: str, expected: str) -> None:
    assert uscc.org_code_check_digit(body) == expected


def test_org_code_check_digit_x_fits_in_a_full_code() -> None:
    code = uscc.make(uscc.CIVIL_AFFAIRS, uscc.PRIVATE_NON_ENTERPRISE, "222401", "00000006")
    assert code == "5222240100000006X6"
    assert uscc.is_valid(code)


def test_wrong_final_check_digit_is_invalid() -> None:
    assert not uscc.is_valid("51220100MJ00000181")
    assert not uscc.is_valid("53100000MJ0065049F")


def test_wrong_org_code_check_digit_is_invalid_even_with_a_matching_final_digit() -> None:
    assert uscc.org_code_check_digit("MJ000001") == "8"
    first17 = "51220100MJ0000019"  # organization code MJ000001 with 9 for its check digit
    assert not uscc.is_valid(first17 + uscc.check_digit(first17))


@pytest.mark.parametrize("letter", "IOSVZ")
def test_letters_left_out_by_the_standard_are_invalid(letter: str) -> None:
    code = "51220100MJ00000180"
    assert not uscc.is_valid(code[:9] + letter + code[10:])
    with pytest.raises(ValueError):
        uscc.make(uscc.CIVIL_AFFAIRS, uscc.SOCIAL_GROUP, "220100", f"M{letter}000001")
    with pytest.raises(ValueError):
        uscc.check_digit(f"51220100M{letter}0000018")


@pytest.mark.parametrize("code", ["", "51220100MJ0000018", "51220100MJ000001800", "51220100MJ00000180 "])
def test_wrong_length_is_invalid(code: str) -> None:
    assert not uscc.is_valid(code)


def test_lower_case_is_invalid() -> None:
    assert not uscc.is_valid("53100000mj0065049e")


def test_unknown_registration_authority_is_invalid() -> None:
    first17 = "B1220100MJ0000018"  # B is in the character set but names no authority
    assert not uscc.is_valid(first17 + uscc.check_digit(first17))


def test_letters_in_the_region_code_are_invalid() -> None:
    first17 = "512201A0MJ0000018"
    assert not uscc.is_valid(first17 + uscc.check_digit(first17))


def test_any_single_character_change_is_caught() -> None:
    rng = random.Random(7)
    for _ in range(20):
        body = "".join(rng.choices(uscc.CHARSET, k=8))
        code = uscc.make(uscc.CIVIL_AFFAIRS, rng.choice("1239"), "220102", body)
        assert uscc.is_valid(code)
        for i, original in enumerate(code):
            for other in uscc.CHARSET:
                if other != original:
                    assert not uscc.is_valid(code[:i] + other + code[i + 1:]), (code, i, other)


@pytest.mark.parametrize(("authority", "kind", "region6", "body"), [
    ("0", "1", "220100", "MJ000001"),  # no such authority
    ("55", "1", "220100", "MJ000001"),
    ("5", "I", "220100", "MJ000001"),
    ("5", "", "220100", "MJ000001"),
    ("5", "1", "22010", "MJ000001"),
    ("5", "1", "22010X", "MJ000001"),
    ("5", "1", "220100", "MJ00001"),
    ("5", "1", "220100", "mj000001"),
])
def test_make_refuses_malformed_parts(authority: str, kind: str, region6: str, body: str) -> None:
    with pytest.raises(ValueError):
        uscc.make(authority, kind, region6, body)


@pytest.mark.parametrize("first", ["", "5122010", "51220100MJ00000180"])
def test_check_digits_refuse_wrong_lengths(first: str) -> None:
    with pytest.raises(ValueError):
        uscc.check_digit(first)
    with pytest.raises(ValueError):
        uscc.org_code_check_digit(first)
