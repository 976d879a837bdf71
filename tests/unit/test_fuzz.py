"""The fuzz benchmark's properties with a CI-sized profile (`aiops bench fuzz` runs 10,000
cases): the gateway answers 2xx or 4xx to any body, and the validator never raises and
accounts for every record with a row or a dead letter with a reason."""

from __future__ import annotations

from benchmarks.fuzz import fuzz_gateway, fuzz_validator
from config.settings import Settings

CASES = 200


def test_any_body_gets_2xx_or_4xx_from_the_gateway() -> None:
    out = fuzz_gateway(CASES, Settings())
    assert out["failures"] == []
    assert out["accepted"] + out["refused"] == CASES and out["refused"] > 0


def test_the_validator_accounts_for_every_record() -> None:
    out = fuzz_validator(CASES)
    assert out["failures"] == []
    assert out["dead"] > 0
