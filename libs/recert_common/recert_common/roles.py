"""The roles a person can have on the platform. Free of Flask and JWT so that domain modules may use them
(``recert_common.auth`` re-exports both names)."""
from __future__ import annotations

import enum


class Role(enum.StrEnum):
    JOBCOACH = "jobcoach"
    ASSESSOR = "assessor"
    DNV_OFFICER = "dnv_officer"
    NOLOC_ADMIN = "noloc_admin"


ROLES: frozenset[str] = frozenset(role.value for role in Role)
