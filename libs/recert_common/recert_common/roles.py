"""The roles a person can have on the platform. Free of Flask and JWT so that domain modules may use them
(``recert_common.auth`` re-exports both names)."""
from __future__ import annotations

import enum


class Role(enum.StrEnum):
    JOBCOACH = "jobcoach"
    ASSESSOR = "assessor"
    DNV_OFFICER = "dnv_officer"
    NOLOC_ADMIN = "noloc_admin"
    # A Register Jobcoach who guides others through recertification; reads what a jobcoach shares (issue 14).
    MENTOR = "mentor"
    # DNV's support staff: answer the service desk and may reset a jobcoach's authenticator app (issue 14).
    DNV_SUPPORT = "dnv_support"


ROLES: frozenset[str] = frozenset(role.value for role in Role)
