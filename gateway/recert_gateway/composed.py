"""Composed endpoints: what a frontend's start page needs, in one round trip.

``GET /api/v1/dashboard`` (jobcoach), ``GET /api/v1/worklist`` (assessor) and ``GET /api/v1/overview``
(dnv_officer). Each answer is made of parts; a part comes from one or more calls to the services, all made
at once with the caller's token and ``Accept-Language``, each within ``RECERT_GATEWAY_COMPOSE_TIMEOUT``.
The role is checked here first; the services check it again on every call.

The answer is 200 whenever the caller may have it, with every part under its own key:

- a part that arrived holds what the services answered (passed on as they sent it, or sorted and counted);
- a part that did not arrive (a service down, too slow, answering 5xx or anything else unexpected) is
  ``null`` and named in ``missing``; ``partial`` is true exactly when ``missing`` is not empty. Asking again
  later may bring it;
- a part whose service answered 404 where that means "there is none (yet)" (no certificate, no cycle) is
  ``null`` and named in ``absent``, with the service's problem (``status``, ``type``, ``title``,
  ``detail``): that is a complete answer, so it is not missing and does not make the answer partial;
- a 401 from any service means the token is not good after all: the whole answer is 401.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request

from recert_common.auth import Role, current_principal, require_roles
from recert_common.errors import Unauthorized, request_language
from recert_common.http import ServiceResponseError
from recert_gateway.api import API_PREFIX
from recert_gateway.compose import Call, Composed, Composer

_log = logging.getLogger(__name__)

_INVALID_TOKEN_CHALLENGE = 'Bearer realm="recert", error="invalid_token"'
_PAGE = 100  # the largest page the services give


@dataclass(frozen=True)
class Part:
    """One key of a composed answer: ``build`` gets the documents of ``calls``, in that order."""

    name: str
    calls: tuple[str, ...]
    build: Callable[..., Any]
    # A 404 means "there is none (yet)" rather than a fault: the part is absent, not missing.
    absent_on_404: bool = False


@dataclass(frozen=True)
class Endpoint:
    path: str  # after /api/v1/
    role: Role
    calls: Mapping[str, Call]
    parts: tuple[Part, ...]
    summary: str
    description: str

    def __post_init__(self):
        unknown = {name for part in self.parts for name in part.calls} - self.calls.keys()
        if unknown:
            raise ValueError(f"{self.path}: parts use unknown calls {sorted(unknown)}")

    @property
    def services(self) -> frozenset[str]:
        return frozenset(call.service for call in self.calls.values())


def assemble(endpoint: Endpoint, fetched: Composed) -> dict[str, Any]:
    """The answer's body from what the calls brought; raises the 401 problem when a service refused the
    token."""
    if any(_status(error) == 401 for error in fetched.errors.values()):
        raise Unauthorized(code="detail.token_invalid", www_authenticate=_INVALID_TOKEN_CHALLENGE)
    body: dict[str, Any] = {}
    missing: list[str] = []
    absent: dict[str, dict[str, Any]] = {}
    for part in endpoint.parts:
        failed = [name for name in part.calls if name not in fetched.documents]
        if not failed:
            body[part.name] = part.build(*(fetched.documents[name] for name in part.calls))
            continue
        body[part.name] = None
        not_found = [fetched.errors.get(name) for name in failed if _status(fetched.errors.get(name)) == 404]
        if part.absent_on_404 and len(not_found) == len(failed):
            absent[part.name] = _absence(not_found[0])
        else:
            missing.append(part.name)
    if missing:
        _log.warning("composed answer is partial", extra={
            "endpoint": endpoint.path, "missing": missing,
            "failed_calls": {name: reason for name, reason in fetched.missing.items()}})
    return {**body, "absent": absent, "missing": missing, "partial": bool(missing)}


def _status(error: BaseException | None) -> int | None:
    return error.status if isinstance(error, ServiceResponseError) else None


def _absence(error: ServiceResponseError) -> dict[str, Any]:
    problem = error.problem or {}
    return {"status": error.status,
            **{key: problem[key] for key in ("type", "title", "detail") if isinstance(problem.get(key), str)}}


# --- the jobcoach's dashboard ----------------------------------------------------------------------------

# Members of the cycle a dashboard does not show and that may be long: the texts of A1-A4 and the meetings
# with their proof (GET /api/v1/portfolio/cycles/current has them).
_CYCLE_DETAIL = frozenset({"parts", "meetings"})


def _as_is(document: Any) -> Any:
    return document


def _cycle_summary(cycle: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in cycle.items() if key not in _CYCLE_DETAIL}


DASHBOARD = Endpoint(
    path="dashboard",
    role=Role.JOBCOACH,
    calls={
        "certificate": Call("assessment", "/v1/certificates/mine"),
        "pe": Call("pe-registry", "/v1/pe/summary"),
        "cycle": Call("portfolio", "/v1/portfolio/cycles/current"),
        "readiness": Call("portfolio", "/v1/portfolio/cycles/current/readiness"),
        "invoices": Call("billing", "/v1/invoices", {"state": "open", "page_size": _PAGE}),
        "messages": Call("notifications", "/v1/messages/unread-count"),
    },
    parts=(
        Part("certificate", ("certificate",), _as_is, absent_on_404=True),
        Part("pe", ("pe",), _as_is),
        Part("portfolio", ("cycle",), _cycle_summary, absent_on_404=True),
        Part("readiness", ("readiness",), _as_is, absent_on_404=True),
        Part("invoices", ("invoices",), _as_is),
        Part("messages", ("messages",), _as_is),
    ),
    summary="The jobcoach's dashboard",
    description=(
        "Certificate tile, PE progress per category, the portfolio cycle's state and readiness, open "
        "invoices and unread messages, fetched from the services at once. Parts that did not arrive in "
        "time are null and named in `missing` (`partial: true`); a certificate or cycle that does not exist "
        "yet is null and named in `absent` with the service's problem."),
)


# --- the assessor's work list ----------------------------------------------------------------------------

# Case states (assessment's states.py) in which the assigned assessor has something to do, and those in
# which the case waits for someone else. Decided and withdrawn cases are not on a work list.
ASSESSOR_ACTIONS: Mapping[str, str] = {"assigned": "advise", "reassessing": "reassess"}
WAITING_FOR: Mapping[str, str] = {
    "advised": "dnv_decision",
    "supplement_due": "jobcoach_supplement",
    "supplement_received": "reassessment_payment",
    "reassessed": "dnv_decision",
    "objection_upheld": "dnv_decision",
}


def _cases_in(state: str, page_size: int = _PAGE) -> Call:
    return Call("assessment", "/v1/cases", {"state": state, "page_size": page_size})


def _by_due_date(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda case: (str(case.get("due_on") or "9999"), str(case.get("submitted_at"))))


def _marked(states: Sequence[str], key: str, marks: Mapping[str, str]) -> Callable[..., dict[str, Any]]:
    """Merges the case pages of ``states`` (one document each) with ``key`` set on each case."""
    def build(*pages: Mapping[str, Any]) -> dict[str, Any]:
        items = [{**case, key: marks[state]} for state, page in zip(states, pages, strict=True)
                 for case in page["items"]]
        return {"total": sum(page["total"] for page in pages), "items": _by_due_date(items)}

    return build


WORKLIST = Endpoint(
    path="worklist",
    role=Role.ASSESSOR,
    calls={
        **{f"cases_{state}": _cases_in(state) for state in (*ASSESSOR_ACTIONS, *WAITING_FOR)},
        "messages": Call("notifications", "/v1/messages/unread-count"),
    },
    parts=(
        Part("to_do", tuple(f"cases_{state}" for state in ASSESSOR_ACTIONS),
             _marked(tuple(ASSESSOR_ACTIONS), "action", ASSESSOR_ACTIONS)),
        Part("waiting", tuple(f"cases_{state}" for state in WAITING_FOR),
             _marked(tuple(WAITING_FOR), "waiting_for", WAITING_FOR)),
        Part("messages", ("messages",), _as_is),
    ),
    summary="The assessor's work list",
    description=(
        "The open cases assigned to the assessor, soonest due first: `to_do` those waiting for their "
        "(re)assessment (`action`), `waiting` those waiting for someone else (`waiting_for`); and their "
        "unread messages. `total` counts every such case, also beyond the first 100 per state."),
)


# --- DNV's overview --------------------------------------------------------------------------------------

# Every state of a case (assessment's states.py), in the order a case passes them.
CASE_STATES: tuple[str, ...] = (
    "opened", "pe_check_failed", "pe_supplement_due", "pe_supplement_received", "awaiting_payment",
    "ready_for_assignment", "assigned", "advised", "supplement_due", "supplement_received", "reassessing",
    "reassessed", "objection_upheld", "decided", "withdrawn")
PE_CHECK_STATE = "opened"  # a submitted case waits for DNV's PE check


def _counts(counts: Mapping[str, Any]) -> dict[str, int]:
    return {state: counts["by_state"][state] for state in CASE_STATES}


def _overdue(counts: Mapping[str, Any], items: list[Mapping[str, Any]]) -> dict[str, Any]:
    return {"overdue": counts["overdue"], "due_soon": counts["due_soon"], "items": items}


def _pe_checks(page: Mapping[str, Any]) -> dict[str, Any]:
    return {"total": page["total"], "items": _by_due_date(list(page["items"]))}


OVERVIEW = Endpoint(
    path="overview",
    role=Role.DNV_OFFICER,
    calls={
        # Every count in one query (a page of each of 15 states was 15 calls), and the first page of the
        # two lists: with 10,000 open cases a quarter is due soon, and listing them all took seconds.
        "counts": Call("assessment", "/v1/cases/counts"),
        f"cases_{PE_CHECK_STATE}": _cases_in(PE_CHECK_STATE),
        "overdue": Call("assessment", "/v1/cases/overdue", {"limit": _PAGE}),
    },
    parts=(
        Part("cases_by_state", ("counts",), _counts),
        Part("overdue", ("counts", "overdue"), _overdue),
        Part("pe_checks_waiting", (f"cases_{PE_CHECK_STATE}",), _pe_checks),
    ),
    summary="DNV's overview",
    description=(
        "The number of cases in each state, the open cases past their due date or due soon (`overdue` and "
        "`due_soon` count them all, `items` lists the 100 most urgent), and the cases waiting for the PE "
        "check (`total` counts them all, `items` lists 100, soonest due first)."),
)

ENDPOINTS: tuple[Endpoint, ...] = (DASHBOARD, WORKLIST, OVERVIEW)


def available_endpoints(services: Sequence[str]) -> tuple[Endpoint, ...]:
    """The composed endpoints whose services are all routed (a gateway in front of fewer serves fewer)."""
    return tuple(endpoint for endpoint in ENDPOINTS if endpoint.services <= set(services))


# --- HTTP ------------------------------------------------------------------------------------------------


def composed_blueprint(composer: Composer, endpoints: Sequence[Endpoint], *, timeout: float) -> Blueprint:
    blueprint = Blueprint("composed", __name__, url_prefix=API_PREFIX)
    for endpoint in endpoints:
        blueprint.add_url_rule(f"/{endpoint.path}", endpoint=endpoint.path, methods=["GET"],
                               view_func=_view(composer, endpoint, timeout))
    return blueprint


def _view(composer: Composer, endpoint: Endpoint, timeout: float) -> Callable[[], Response]:
    @require_roles(endpoint.role)
    def view() -> Response:
        language = request.headers.get("Accept-Language")
        fetched = composer.fetch(endpoint.calls, token=current_principal().token, timeout=timeout,
                                 headers={"Accept-Language": language} if language else None)
        response = jsonify(assemble(endpoint, fetched))
        response.headers["Content-Language"] = request_language()
        response.vary.add("Accept-Language")
        response.cache_control.private = True
        response.cache_control.no_store = True  # personal data, and stale the moment it is shown
        return response

    view.__name__ = f"composed_{endpoint.path}"
    return view
