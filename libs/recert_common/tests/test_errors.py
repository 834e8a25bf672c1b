"""problem+json for every error a Flask app produces, in Dutch and English."""
from __future__ import annotations

import logging

import marshmallow as ma
import psycopg
import psycopg_pool
import pytest
from flask import Flask, request
from flask_smorest import Api, Blueprint, abort

from recert_common import errors, i18n
from recert_common.errors import (
    PROBLEM_JSON,
    PROBLEMS_BY_STATUS,
    Conflict,
    NotFound,
    Problem,
    ServiceUnavailable,
    TooManyRequests,
    ValidationProblem,
    flatten_field_errors,
    problem_response,
    register_error_handlers,
)

i18n.register_messages({
    "test.portfolio_locked": {
        "nl": "Portfolio {portfolio} is al ingediend.", "en": "Portfolio {portfolio} has been submitted."},
})


class Address(ma.Schema):
    city = ma.fields.String(required=True)


class Thing(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(max=3))
    points = ma.fields.Integer(validate=ma.validate.Range(min=1, max=5))
    address = ma.fields.Nested(Address)
    tags = ma.fields.List(ma.fields.Integer())


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config.update(API_TITLE="test", API_VERSION="1", OPENAPI_VERSION="3.0.3", MAX_CONTENT_LENGTH=256)
    api = Api(app)
    register_error_handlers(app)
    blp = Blueprint("things", __name__, url_prefix="/v1")

    @blp.route("/things", methods=["POST"])
    @blp.arguments(Thing)
    def create_thing(data):
        return data

    @blp.route("/raw", methods=["POST"])
    def raw():
        return {"got": request.get_json()}

    @blp.route("/problems/<int:status>")
    def raise_problem(status):
        raise PROBLEMS_BY_STATUS[status]() if status != 422 else ValidationProblem({"x": ["bad"]})

    @blp.route("/locked")
    def locked():
        raise Conflict(code="test.portfolio_locked", params={"portfolio": "P-7"})

    @blp.route("/literal")
    def literal():
        abort(409, message="Literal text from the view")

    @blp.route("/teapot")
    def teapot():
        abort(418)

    @blp.route("/slow-down")
    def slow_down():
        raise TooManyRequests(retry_after=30)

    @blp.route("/database-gone")
    def database_gone():
        raise psycopg.OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    @blp.route("/pool-exhausted")
    def pool_exhausted():
        raise psycopg_pool.PoolTimeout("couldn't get a connection after 10.00 sec")

    @blp.route("/boom")
    def boom():
        raise RuntimeError("password=hunter2 in SELECT * FROM accounts")

    api.register_blueprint(blp)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def _problem(response, status):
    assert response.status_code == status
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json(force=True)
    assert body["status"] == status
    return body


@pytest.mark.parametrize("status", sorted(PROBLEMS_BY_STATUS))
def test_every_problem_class_has_its_own_type_and_a_title_in_both_languages(client, status):
    nl = _problem(client.get(f"/v1/problems/{status}"), status)
    en = _problem(client.get(f"/v1/problems/{status}", headers={"Accept-Language": "en"}), status)
    cls = PROBLEMS_BY_STATUS[status]
    assert nl["type"] == en["type"] == f"https://recert.noloc.nl/problems/{cls.slug}"
    assert nl["title"] and en["title"] and nl["title"] != en["title"]
    assert cls.title_code not in (nl["title"], en["title"])


def test_type_uris_are_the_published_ones():
    # Clients and other systems branch on these URIs: renaming one breaks them, so it must show up here.
    assert sorted(cls.slug for cls in PROBLEMS_BY_STATUS.values()) == sorted([
        "bad-request", "validation-failed", "unauthorized", "forbidden", "not-found", "method-not-allowed",
        "conflict", "payload-too-large", "unsupported-media-type", "too-many-requests", "internal-error",
        "bad-gateway", "service-unavailable", "gateway-timeout",
        "uri-too-long", "expectation-failed", "header-fields-too-large",  # web_worker's, before any route
    ])


def test_every_problem_subclass_has_its_title_in_the_catalogue():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    missing = [cls.__name__ for cls in subclasses(Problem) if not i18n.is_known(cls.title_code)]
    assert missing == []


def test_titles_follow_accept_language(client):
    assert _problem(client.get("/v1/problems/404"), 404)["title"] == "Niet gevonden"
    response = client.get("/v1/problems/404", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert _problem(response, 404)["title"] == "Not found"
    assert response.headers["Content-Language"] == "en"
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "nl"),
        ("", "nl"),
        ("en", "en"),
        ("EN-us", "en"),
        ("nl;q=0.5, en;q=0.8", "en"),
        ("en;q=0.3, nl;q=0.9", "nl"),
        ("de, fr;q=0.9, en;q=0.1", "en"),
        ("fr", "nl"),
        ("*", "nl"),
        ("en;q=0", "nl"),
    ],
)
def test_language_negotiation_honours_quality_values(header, language):
    assert i18n.negotiate_language(header) == language


def test_detail_from_a_code_is_translated_with_its_parameters(client):
    nl = _problem(client.get("/v1/locked"), 409)
    en = _problem(client.get("/v1/locked", headers={"Accept-Language": "en"}), 409)
    assert nl["detail"] == "Portfolio P-7 is al ingediend."
    assert en["detail"] == "Portfolio P-7 has been submitted."
    assert nl["type"].endswith("/conflict")


def test_literal_detail_from_smorest_abort_is_kept(client):
    body = _problem(client.get("/v1/literal"), 409)
    assert body["detail"] == "Literal text from the view"
    assert body["title"] == "Conflict met de huidige toestand"


def test_retry_after_is_sent(client):
    response = client.get("/v1/slow-down")
    _problem(response, 429)
    assert response.headers["Retry-After"] == "30"


def test_unknown_route_is_a_404_problem(client):
    nl = _problem(client.get("/v1/nothing-here"), 404)
    en = _problem(client.get("/v1/nothing-here", headers={"Accept-Language": "en"}), 404)
    assert nl["type"].endswith("/not-found")
    assert nl["detail"] == "Op dit adres is niets te vinden."
    assert en["detail"] == "There is nothing at this address."


def test_wrong_method_is_a_405_problem_with_allow(client):
    response = client.delete("/v1/locked")
    body = _problem(response, 405)
    assert body["type"].endswith("/method-not-allowed")
    assert body["detail"] == "De methode DELETE is hier niet toegestaan."
    assert "GET" in response.headers["Allow"]


def test_body_over_max_content_length_is_a_413_problem(client):
    response = client.post("/v1/things", data='{"name": "' + "x" * 300 + '"}',
                           content_type="application/json", headers={"Accept-Language": "en"})
    body = _problem(response, 413)
    assert body["type"].endswith("/payload-too-large")
    assert body["detail"] == "The request may be at most 256 bytes."


@pytest.mark.parametrize("path", ["/v1/things", "/v1/raw"])  # webargs and Flask's own get_json
def test_malformed_json_is_a_400_problem(client, path):
    nl = _problem(client.post(path, data="{not json", content_type="application/json"), 400)
    en = _problem(client.post(path, data="{not json", content_type="application/json",
                              headers={"Accept-Language": "en"}), 400)
    assert nl["type"].endswith("/bad-request")
    assert nl["detail"] == "De inhoud van het verzoek is geen geldige JSON."
    assert en["detail"] == "The request body is not valid JSON."
    assert "Expecting" not in nl["detail"]  # the parser's message is not passed on


def test_json_endpoint_without_json_content_type_is_a_415_problem(client):
    response = client.post("/v1/raw", data="name=x", content_type="application/x-www-form-urlencoded")
    body = _problem(response, 415)
    assert body["type"].endswith("/unsupported-media-type")


def test_validation_errors_are_422_per_field_including_nested_list_and_unknown_fields(client):
    payload = {"name": "abcd", "points": 9, "address": {}, "tags": [1, "x"], "colour": "red"}
    nl = _problem(client.post("/v1/things", json=payload), 422)
    assert nl["type"] == "https://recert.noloc.nl/problems/validation-failed"
    assert nl["title"] == "De invoer is niet geldig"
    assert nl["errors"] == {
        "name": ["Langer dan de maximale lengte 3."],
        "points": ["Moet minstens 1 en hoogstens 5 zijn."],
        "address.city": ["Dit veld is verplicht."],
        "tags.1": ["Geen geldig geheel getal."],
        "colour": ["Onbekend veld."],
    }
    en = _problem(client.post("/v1/things", json=payload, headers={"Accept-Language": "en"}), 422)
    assert en["title"] == "The input is not valid"
    assert en["errors"] == {
        "name": ["Longer than maximum length 3."],
        "points": ["Must be greater than or equal to 1 and less than or equal to 5."],
        "address.city": ["Missing data for required field."],
        "tags.1": ["Not a valid integer."],
        "colour": ["Unknown field."],
    }


def test_body_that_is_not_an_object_is_a_422_on_the_schema(client):
    body = _problem(client.post("/v1/things", json=[1, 2]), 422)
    assert body["errors"] == {"_schema": ["Ongeldig type."]}


def test_other_statuses_are_about_blank(client):
    body = _problem(client.get("/v1/teapot", headers={"Accept-Language": "en"}), 418)
    assert body["type"] == "about:blank"
    assert body["title"] == "The request could not be processed"


def test_unexpected_exception_is_a_500_that_leaks_nothing_and_is_logged(client, caplog):
    with caplog.at_level(logging.ERROR, logger="recert_common.errors"):
        response = client.get("/v1/boom", headers={"Accept-Language": "en"})
    body = _problem(response, 500)
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "RuntimeError" not in text and "SELECT" not in text
    assert body["type"].endswith("/internal-error")
    assert body["title"] == "Internal error"
    [record] = [r for r in caplog.records if r.getMessage() == "unhandled exception"]
    assert isinstance(record.exc_info[1], RuntimeError)


def test_problem_response_builds_a_response_for_gateway_code(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        response = problem_response(ServiceUnavailable(code="detail.upstream_unreachable",
                                                       params={"service": "portfolio"}, retry_after=5))
    assert response.status_code == 503
    assert response.mimetype == PROBLEM_JSON
    assert response.headers["Retry-After"] == "5"
    assert response.get_json(force=True)["detail"] == "The service portfolio cannot be reached."


def test_problem_response_outside_a_request_is_dutch_unless_told():
    with Flask(__name__).app_context():
        assert problem_response(NotFound()).get_json(force=True)["title"] == "Niet gevonden"
        assert problem_response(NotFound(), "en").get_json(force=True)["title"] == "Not found"


def test_extensions_become_members_but_cannot_replace_standard_ones():
    body = NotFound(extensions={"case_id": "c-1"}).to_dict("nl")
    assert body["case_id"] == "c-1"
    with pytest.raises(ValueError):
        NotFound(extensions={"status": 200})


def test_flatten_field_errors_gives_dotted_paths():
    messages = {
        "_schema": ["Dates overlap."],
        "period": {"_schema": ["End before start."], "end": ["Not a valid date."]},
        "activities": {0: {"points": ["Missing data for required field."]}, 2: {"title": ["Unknown field."]}},
    }
    assert flatten_field_errors(messages) == {
        "_schema": ["Dates overlap."],
        "period": ["End before start."],
        "period.end": ["Not a valid date."],
        "activities.0.points": ["Missing data for required field."],
        "activities.2.title": ["Unknown field."],
    }


def test_validation_problem_from_a_marshmallow_error():
    with pytest.raises(ma.ValidationError) as caught:
        Thing().load({"address": {"city": 3}})
    body = ValidationProblem.from_marshmallow(caught.value).to_dict("nl")
    assert body["status"] == 422
    assert body["errors"] == {"name": ["Dit veld is verplicht."], "address.city": ["Geen geldige tekst."]}


def test_field_messages_of_services_pass_unchanged_and_codes_translate():
    own = "Kies een datum na 1 januari."
    assert i18n.translate_field_message(own, "en") == own
    assert i18n.translate_field_message("field.required", "nl") == "Dit veld is verplicht."


def test_catalogue_refuses_a_message_without_every_language_or_with_changed_texts():
    with pytest.raises(ValueError):
        i18n.register_messages({"test.only_dutch": {"nl": "Alleen Nederlands"}})
    with pytest.raises(ValueError):
        i18n.register_messages({"problem.not_found": {"nl": "Weg", "en": "Gone"}})
    assert i18n.translate("problem.not_found", "en") == "Not found"


def test_translate_keeps_a_missing_parameter_visible():
    assert i18n.translate("detail.upstream_unreachable", "en") == "The service {service} cannot be reached."


def test_http_problem_from_a_bare_werkzeug_exception_outside_a_request():
    from werkzeug.exceptions import Conflict as WerkzeugConflict

    problem = errors.problem_from_http_exception(WerkzeugConflict())
    assert isinstance(problem, Conflict)


@pytest.mark.parametrize("path", ["/v1/database-gone", "/v1/pool-exhausted"])
def test_a_database_outage_is_a_503_problem_that_says_come_back(client, path):
    response = client.get(path, headers={"Accept-Language": "en"})
    body = _problem(response, 503)
    assert response.headers["Retry-After"] == "5"
    assert "try again" in body["detail"] and "127.0.0.1" not in body["detail"]


# --- messages: a catalogue code with parameters, rendered where the answer is made -------------------------

i18n.register_messages({
    "test.field.too_early": {"nl": "De datum {day} ligt vóór {first} ({points} punten, {size}).",
                             "en": "The date {day} is before {first} ({points} points, {size})."},
    "test.field.choose": {"nl": "Kies uit {choices}.", "en": "Choose from {choices}."},
    "test.word.one": {"nl": "een", "en": "one"},
})


def test_a_message_is_a_value_rendered_in_the_readers_language():
    from datetime import date
    from decimal import Decimal

    def make() -> i18n.Message:
        return i18n.Message("test.field.too_early", day=i18n.Day(date(2024, 3, 1)),
                            first=i18n.Day(date(2024, 4, 1)), points=i18n.Number(Decimal("2.50")),
                            size=i18n.Size(20 * 1024 * 1024))

    message = make()
    assert message.render("nl") == ("De datum 1 maart 2024 ligt vóór 1 april 2024 (2,5 punten, "
                                    "20 MB (20971520 bytes)).")
    assert message.render("en") == ("The date 1 March 2024 is before 1 April 2024 (2.5 points, "
                                    "20 MB (20971520 bytes)).")
    # A language without texts gets Dutch throughout, parameters included.
    assert message.render("de") == message.render("nl")
    assert message == make() and hash(message) == hash(make())
    assert str(i18n.Message("test.word.one")) == "test.word.one"
    assert str(i18n.Message("test.field.choose", choices="a, b")) == "test.field.choose(choices=a, b)"
    listing = i18n.Listing(i18n.Message("test.word.one"), i18n.Label("assessor"))
    assert i18n.Message("test.field.choose", choices=listing).render("nl") == "Kies uit een, beoordelaar."
    assert i18n.Message("test.field.choose", choices=listing).render("en") == "Choose from one, assessor."


def test_field_errors_keep_messages_and_render_them_with_the_answer():
    from recert_common.domain_errors import FieldsRefused, ProblemMap

    message = i18n.Message("test.field.choose", choices="1, 2")
    flat = errors.flatten_field_errors({"a": [message, "field.required"], "b": {"c": message}})
    assert flat == {"a": [message, "field.required"], "b.c": [message]}
    assert i18n.translate_field_message(message, "en") == "Choose from 1, 2."

    refused = FieldsRefused({"category": [message], "amount": ["field.required"]})
    plain = ProblemMap({}).problem_for(refused).to_dict("en")
    assert plain["errors"] == {"category": ["Choose from 1, 2."],
                               "amount": ["Missing data for required field."]}
    assert "detail" not in plain
    repeated = ValidationProblem(refused.errors, detail_from_errors=True).to_dict("nl")
    assert repeated["detail"] == "Kies uit 1, 2. Dit veld is verplicht."
    assert repeated["errors"] == {"category": ["Kies uit 1, 2."], "amount": ["Dit veld is verplicht."]}
