"""Assessment's app and worker consumer (in-thread) on a fresh, migrated database per test module, with the
real RabbitMQ and tokens minted by a test key; the schedule is run by the tests themselves on a settable day.
The helpers are in assessment_support and service_harness."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The tests import assessment_support by name; pytest.ini puts only tests/integration on the path.
sys.path.insert(0, str(Path(__file__).parent))

from assessment_support import Harness  # noqa: E402

import recert_assessment  # noqa: E402
from recert_assessment.app import create_app  # noqa: E402
from recert_assessment.handlers import subscriptions  # noqa: E402
from recert_assessment.service import build_service  # noqa: E402
from recert_assessment.settings import AssessmentSettings  # noqa: E402
from recert_common.crypto import new_key  # noqa: E402

from service_harness import bus_settings, fresh_database, real_today_fixture, running_service  # noqa: E402

IMPORT_MAX_BYTES = 64 * 1024  # small, so that "too large" needs no 5 MB body


@pytest.fixture(scope="module")
def assessment_settings(infra):
    tag, url = fresh_database(infra, "assessment", recert_assessment)
    return AssessmentSettings.from_env("assessment", env={}, **bus_settings(infra, url, tag),
                                       import_max_bytes=IMPORT_MAX_BYTES, secrets_key=new_key())


@pytest.fixture(scope="module")
def assessment(infra, assessment_settings):
    settings = assessment_settings
    with running_service(infra, settings, build_service=build_service, create_app=create_app,
                         worker_parts=lambda db, service, clock: (subscriptions(settings, db, today=clock),)
                         ) as parts:
        yield Harness(**parts)


_today_is_real = real_today_fixture("assessment")
