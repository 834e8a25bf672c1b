"""Mentors (issue 14, ADR 0028): rules only, no Flask, SQL or broker.

A mentor is an account with the role ``mentor`` (made by a Noloc admin). Noloc members find the mentors in
the platform's list (name, region, a short text) and invite one; the invitation carries the jobcoach's
explicit consent to what is shared, read-only: the drafts of A1-A4, the reflection meetings and the PE
summary. From then on, until the jobcoach ends it, the mentor reads those and comments per part. The mentor's
fee is paid to the mentor directly; the platform invoices nothing.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from recert_common.domain_errors import DomainError
from recert_common.i18n import register_messages
from recert_common.roles import Role

#: What a mentorship shares with the mentor, read-only; the consent names each of them.
SHARED = ("drafts", "meetings", "pe_summary")
#: The parts a mentor comments on.
COMMENT_PARTS = ("A1", "A2", "A3", "A4")
#: The mentor's fee (2023 figure), paid to the mentor directly: never invoiced by the platform.
MENTOR_FEE = Decimal("75.00")
#: The note beside the fee in the mentor directory.
MENTOR_FEE_NOTE = "portfolio.mentor.fee_note"
register_messages({
    MENTOR_FEE_NOTE: {
        "nl": "Een mentor kost €75. Dat betaal je rechtstreeks aan de mentor; dit platform stuurt je "
              "daarvoor geen factuur.",
        "en": "A mentor costs €75. You pay this directly to the mentor; this platform sends you no invoice "
              "for it."},
})
MEMBER = "member"


class MentorRefusal(enum.StrEnum):
    NOT_A_MEMBER = "not_a_member"
    CONSENT_MISSING = "consent_missing"
    ALREADY_MENTOR = "already_mentor"
    ENDED = "ended"


class MentorsForMembersOnly(DomainError):
    """The mentor list and invitations are for Noloc members; an external affiliate (or an account whose
    membership is not known yet) is refused."""


class ConsentMissing(DomainError):
    """An invitation without the jobcoach's consent to every shared item."""


class MentorshipConflict(DomainError):
    """``reason``: the mentor mentors the jobcoach already, or the mentorship has ended."""

    reason: MentorRefusal


@dataclass(frozen=True)
class MentorAccount:
    """A mentor as the directory lists them: identity's name and role, the profile's region and text."""

    account_id: UUID
    full_name: str
    region: str
    about: str
    active: bool = True  # still holds the mentor role


@dataclass(frozen=True)
class Mentorship:
    id: UUID
    account_id: UUID  # the jobcoach
    mentor_id: UUID
    shared: tuple[str, ...]
    consented_at: datetime
    started_at: datetime
    ended_at: datetime | None = None
    ended_by: UUID | None = None
    jobcoach_name: str | None = None
    mentor_name: str | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def ended(self, *, by: UUID, now: datetime) -> Mentorship:
        if not self.active:
            raise MentorshipConflict(reason=MentorRefusal.ENDED)
        return replace(self, ended_at=now, ended_by=by)


@dataclass(frozen=True)
class MentorComment:
    id: UUID
    mentorship_id: UUID
    account_id: UUID
    mentor_id: UUID
    part: str
    text: str
    created_at: datetime
    mentor_name: str | None = None


def is_mentor(roles: list[str] | tuple[str, ...] | frozenset[str]) -> bool:
    return Role.MENTOR in roles


def check_member(membership_kind: str | None) -> None:
    """Only Noloc members see the mentors and invite one (issue 14)."""
    if membership_kind != MEMBER:
        raise MentorsForMembersOnly()


def check_consent(consent: dict[str, bool]) -> tuple[str, ...]:
    """The invitation's consent must say yes to each shared item; returns what is shared."""
    missing = [item for item in SHARED if consent.get(item) is not True]
    if missing:
        raise ConsentMissing(missing=tuple(missing))
    return SHARED


def may_read_as_mentor(mentorship: Mentorship | None, mentor_id: UUID) -> bool:
    """A mentor reads a jobcoach's drafts, meetings and PE summary only while the mentorship runs."""
    return mentorship is not None and mentorship.mentor_id == mentor_id and mentorship.active


__all__ = ["COMMENT_PARTS", "MENTOR_FEE", "MENTOR_FEE_NOTE", "SHARED", "ConsentMissing", "MentorAccount",
           "MentorComment", "MentorRefusal", "Mentorship", "MentorshipConflict", "MentorsForMembersOnly",
           "check_consent", "check_member", "is_mentor", "may_read_as_mentor"]
