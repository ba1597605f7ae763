"""Password hashing."""

from __future__ import annotations

import pytest

from workflow_app.directory.passwords import check_password, hash_password


def test_hash_verifies_only_the_right_password():
    hashed = hash_password("correct horse")
    assert hashed != "correct horse"
    assert check_password(hashed, "correct horse")
    assert not check_password(hashed, "correct hors")


@pytest.mark.parametrize("weak", ["", "short"])
def test_short_passwords_are_refused(weak):
    with pytest.raises(ValueError):
        hash_password(weak)


def test_two_hashes_of_one_password_differ():
    assert hash_password("same password") != hash_password("same password")
