"""The fuzzing of test_fuzz_openapi.py (its docstring says what is sent and checked) with the staff's
tokens: the assessor, a DNV officer and a Noloc admin, against a system of this module's own, so that the two
halves run side by side on the suite's two workers."""
from __future__ import annotations

import pytest

from fuzzing import assert_still_well, fuzz_persona, fuzzing_schema, merged_document
from system_actors import world_fixture

STAFF = ("assessor", "dnv_officer", "noloc_admin")

world = world_fixture("fuzz-staff-logs")


@pytest.fixture(scope="module")
def schema(world):
    return fuzzing_schema(merged_document(world))


@pytest.mark.timeout(240)  # a persona takes about 35 s alone; the guard leaves room for a loaded machine
@pytest.mark.parametrize("persona", STAFF)
def test_fuzzed_requests_get_no_server_error_and_documented_answers(world, schema, persona, subtests):
    fuzz_persona(world, schema, persona, subtests)


def test_the_system_is_still_well_after_the_fuzzing(world):
    assert_still_well(world, STAFF)
