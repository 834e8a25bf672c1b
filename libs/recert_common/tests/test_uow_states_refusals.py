"""The shared seam: the fake unit of work publishes only what commits, the state machine walks its table,
and a refusal is answered by its class's entry (or its nearest base's) in the service's problem map."""
from __future__ import annotations

from enum import StrEnum

import pytest
from flask import Flask

from recert_common.domain_errors import DomainError, NotFoundError, ProblemMap
from recert_common.errors import Conflict, NotFound, register_error_handlers
from recert_common.rules import load_framework
from recert_common.schemas import not_blank, utc_text
from recert_common.states import StateMachine, TransitionNotAllowed
from recert_common.uow import FakeUnitOfWork
from recert_common.web import install_problem_map


class Uow(FakeUnitOfWork):
    producer = "portfolio"


DATA = {"account_id": "6f1d0c55-3b43-4a4b-8d0e-0e7f5a3c0b11",
        "cycle_id": "a3c0b8e2-1d55-4b43-8d0e-0e7f5a3c0b12",
        "portfolio_id": "b3c0b8e2-1d55-4b43-8d0e-0e7f5a3c0b13",
        "submission_id": "c3c0b8e2-1d55-4b43-8d0e-0e7f5a3c0b14", "reason": "changed my mind"}


def test_a_fake_unit_of_work_publishes_on_commit_only():
    uow = Uow()
    with uow:
        uow.publish("portfolio.withdrawn", DATA, subject=DATA["account_id"])
    assert uow.published_types() == ["portfolio.withdrawn"]
    with pytest.raises(RuntimeError), uow:
        uow.publish("portfolio.withdrawn", DATA)
        raise RuntimeError("refused halfway")
    assert len(uow.published) == 1 and uow.commits == 1


def test_a_fake_unit_of_work_checks_events_against_their_schema():
    with pytest.raises(Exception, match="submission_id"), Uow() as uow:
        uow.publish("portfolio.withdrawn", {k: v for k, v in DATA.items() if k != "submission_id"})


class Light(StrEnum):
    RED = "red"
    GREEN = "green"


class Press(StrEnum):
    GO = "go"
    STOP = "stop"


MACHINE = StateMachine(Light, Press, {(Light.RED, Press.GO): Light.GREEN,
                                      (Light.GREEN, Press.STOP): Light.RED})


def test_the_state_machine_follows_its_table_and_refuses_the_rest():
    assert MACHINE.transition("red", "go") is Light.GREEN
    assert MACHINE.allows(Light.GREEN, Press.STOP) and not MACHINE.allows(Light.GREEN, Press.GO)
    assert MACHINE.actions_from(Light.RED) == {Press.GO}
    with pytest.raises(TransitionNotAllowed) as refused:
        MACHINE.transition(Light.RED, Press.STOP)
    assert (refused.value.state, refused.value.action) == (Light.RED, Press.STOP)


class Locked(DomainError):
    pass


class LockedForever(Locked):
    pass


class Unmapped(DomainError):
    pass


def _app() -> Flask:
    app = Flask(__name__)
    register_error_handlers(app)
    install_problem_map(app, ProblemMap({
        Locked: lambda error: Conflict(f"locked: {error.part}"),
        NotFoundError: lambda error: NotFound(),
    }))

    @app.get("/<what>")
    def view(what: str):
        raise {"locked": Locked(part="A1"), "forever": LockedForever(part="A2"), "gone": NotFoundError(),
               "unmapped": Unmapped()}[what]

    return app


@pytest.mark.parametrize(("what", "status", "detail"), [
    ("locked", 409, "locked: A1"), ("forever", 409, "locked: A2"), ("gone", 404, None),
    ("unmapped", 500, None)])
def test_a_refusal_is_answered_by_the_nearest_entry_of_the_problem_map(what, status, detail):
    answer = _app().test_client().get(f"/{what}")
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json.get("detail") == detail or detail is None


def test_category_numbers_are_read_by_number_or_key():
    pe = load_framework().pe
    first = pe.categories[0]
    assert pe.category_number(f" {first.number} ") == first.number
    assert pe.category_number(first.key) == first.number
    assert pe.category_number("geen categorie") is None


def test_blank_text_is_refused_and_instants_are_written_in_utc():
    from datetime import datetime, timedelta, timezone

    from marshmallow import ValidationError
    with pytest.raises(ValidationError):
        not_blank("  \t")
    not_blank(" x ")
    plus_one = timezone(timedelta(hours=1))
    assert utc_text(datetime(2027, 3, 1, 10, 30, tzinfo=plus_one)) == "2027-03-01T09:30:00Z"
    assert utc_text(None) is None


def test_fields_refused_by_the_domain_are_a_422_with_the_field_errors_in_every_map():
    from recert_common.domain_errors import FieldsRefused

    app = Flask(__name__)
    register_error_handlers(app)
    install_problem_map(app, ProblemMap({}))

    @app.get("/")
    def view():
        raise FieldsRefused({"password": ["field.blank"]})

    answer = app.test_client().get("/", headers={"Accept-Language": "en"})
    assert answer.status_code == 422
    assert answer.json["errors"] == {"password": ["May not be blank."]}


def test_a_block_that_raises_leaves_the_fake_tables_as_it_found_them_in_place():
    class Tables:
        def __init__(self):
            self.rows: list[str] = ["kept"]
            self.by_id: dict[int, str] = {1: "one"}
            self.counter = 0

    class TablesUow(Uow):
        def __init__(self):
            super().__init__()
            self.data = Tables()

    uow = TablesUow()
    rows = uow.data.rows  # what a repository holds on to
    with pytest.raises(RuntimeError), uow:
        uow.data.rows.append("half-written")
        uow.data.by_id[2] = "two"
        uow.data.counter = 5
        raise RuntimeError("refused")
    assert (rows, uow.data.by_id, uow.data.counter) == (["kept"], {1: "one"}, 0)
    assert rows is uow.data.rows
    with uow:
        rows.append("written")
    assert uow.data.rows == ["kept", "written"]
