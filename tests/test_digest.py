"""dabprp.digest.sha256 is hashlib.sha256 without OpenSSL: the same digests, whole or fed in parts."""

from __future__ import annotations

import hashlib

import pytest

from dabprp.digest import sha256


@pytest.mark.parametrize("data", [b"", b"abc", "ünïcode|G-1\0".encode(), bytes(range(256)) * 1000])
def test_the_digests_are_hashlibs(data):
    assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    running = sha256()
    for start in range(0, len(data), 7):
        running.update(data[start:start + 7])
    assert running.hexdigest() == hashlib.sha256(data).hexdigest()


def test_it_is_not_openssls():
    assert sha256 is not hashlib.sha256 and "openssl" not in repr(sha256).lower()
