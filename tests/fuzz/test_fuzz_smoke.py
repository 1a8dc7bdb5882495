"""A short seeded fuzz run in CI: mutated copies of the example, the fixtures and the corpus through every
command, each in a forked child with the CPU, memory and time limits. Any failure prints its reproducer
(`python tests/fuzz/fuzz.py --seed S --case N --keep DIR`)."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import CORPUS
from tests.fuzz.fuzz import fuzz

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forks with Linux resource limits")


def test_seeded_fuzz_run_has_no_failures():
    outcome = fuzz(count=20, seed=2026, corpus=CORPUS, light=True)
    assert sum(outcome.exits.values()) == 20 * 8
    assert outcome.failures == {}
