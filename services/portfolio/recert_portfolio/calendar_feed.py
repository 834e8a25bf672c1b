"""The wegwijzer as an iCalendar feed (RFC 5545, made with the ``icalendar`` library; ADR 0026), and the
secret token of a jobcoach's feed address. No Flask, no SQL.

Each milestone is one all-day VEVENT (``DTSTART;VALUE=DATE`` and the day after as ``DTEND``), transparent
(it does not make the jobcoach look busy), with a UID that stays the same for the cycle and the milestone, so
that a calendar app updates the event when its date or state changes instead of adding a second one.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from uuid import UUID

from icalendar import Calendar, Event

from recert_common.i18n import register_messages, translate
from recert_portfolio.wegwijzer import Milestone, Wegwijzer

PRODID = "-//Register Jobcoach//Wegwijzer//NL"
UID_DOMAIN = "wegwijzer.registerjobcoach.nl"


def new_nonce() -> str:
    return secrets.token_hex(16)


def feed_token(key: str, account_id: UUID, nonce: str) -> str:
    """The secret of a feed's address: HMAC-SHA256 of the account and the nonce, base64url without padding."""
    digest = hmac.new(key.encode(), f"{account_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    """What is stored to find a feed by its token (the token itself never is)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _summary(milestone: Milestone, language: str) -> str:
    return translate(f"portfolio.wegwijzer.milestone.{milestone.key}", language)


def _description(milestone: Milestone, language: str) -> str:
    lines = [translate(f"portfolio.wegwijzer.state.{milestone.state}", language)]
    if milestone.estimate is not None and milestone.estimate.hours:
        lines.append(translate("portfolio.wegwijzer.estimate", language, hours=milestone.estimate.hours,
                               weeks=milestone.estimate.weeks))
    lines.append(translate("portfolio.wegwijzer.see_portal", language))
    return "\n".join(lines)


def render(wegwijzer: Wegwijzer | None, *, now: datetime, language: str) -> bytes:
    """The feed: a VCALENDAR with one VEVENT per milestone (none without a cycle in progress)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", translate("portfolio.wegwijzer.calendar_name", language))
    if wegwijzer is not None:
        for milestone in wegwijzer.milestones:
            event = Event()
            event.add("uid", f"{wegwijzer.cycle.id}-{milestone.key}@{UID_DOMAIN}")
            event.add("dtstamp", now)
            event.add("dtstart", milestone.date)
            event.add("dtend", milestone.date + timedelta(days=1))
            event.add("summary", _summary(milestone, language))
            event.add("description", _description(milestone, language))
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
    return calendar.to_ical()


register_messages({
    "portfolio.wegwijzer.calendar_name": {"nl": "Wegwijzer Register Jobcoach",
                                          "en": "Register Jobcoach wegwijzer"},
    "portfolio.wegwijzer.milestone.plan_start": {"nl": "Begin aan je hercertificering",
                                                 "en": "Start on your recertification"},
    "portfolio.wegwijzer.milestone.pe_points": {"nl": "75 PE-punten binnen, waarvan 30 in categorie 1",
                                                "en": "75 PE points in, 30 of them in category 1"},
    "portfolio.wegwijzer.milestone.reflection_meetings": {"nl": "Reflectiebijeenkomsten met bewijs compleet",
                                                          "en": "Reflection meetings with proof complete"},
    "portfolio.wegwijzer.milestone.portfolio_parts": {"nl": "Portfolio A1 tot en met A4 geschreven",
                                                      "en": "Portfolio A1 to A4 written"},
    "portfolio.wegwijzer.milestone.window_opens": {"nl": "Je kunt je portfolio indienen",
                                                   "en": "You can submit your portfolio"},
    "portfolio.wegwijzer.milestone.expiry": {"nl": "Je certificaat verloopt: uiterlijk vandaag indienen",
                                             "en": "Your certificate expires: submit today at the latest"},
    "portfolio.wegwijzer.milestone.supplement_parts": {"nl": "Aanvullende opdrachten uitgewerkt",
                                                       "en": "Supplementary assignments worked out"},
    "portfolio.wegwijzer.milestone.supplement_deadline": {"nl": "Uiterste datum voor je aanvulling",
                                                          "en": "Last day for your supplement"},
    "portfolio.wegwijzer.milestone.new_portfolio_deadline": {"nl": "Uiterste datum voor je nieuwe portfolio",
                                                             "en": "Last day for your new portfolio"},
    "portfolio.wegwijzer.state.done": {"nl": "Klaar.", "en": "Done."},
    "portfolio.wegwijzer.state.on_track": {"nl": "Op schema.", "en": "On track."},
    "portfolio.wegwijzer.state.behind": {"nl": "Je loopt achter: kijk in je wegwijzer wat je nu kunt doen.",
                                         "en": "You are behind: see in your wegwijzer what you can do now."},
    "portfolio.wegwijzer.estimate": {"nl": "Nog ongeveer {hours} uur werk, verdeeld over {weeks} weken.",
                                     "en": "About {hours} hours of work left, spread over {weeks} weeks."},
    "portfolio.wegwijzer.see_portal": {"nl": "Je wegwijzer staat in Mijn Register Jobcoach.",
                                       "en": "Your wegwijzer is in My Register Jobcoach."},
})

