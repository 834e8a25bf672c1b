from __future__ import annotations

import pytest

from recert_gateway.routes import ROUTES, InvalidPath, Route, RouteTable, Rule, split_path


def segs(path: str) -> tuple[str, ...]:
    return split_path(path)


def test_split_path_refuses_dot_and_empty_segments():
    assert segs("a/b/") == ("a", "b")
    assert segs(".well-known/jwks.json") == (".well-known", "jwks.json")
    for bad in ("a//b", "a/./b", "a/../b", "..", "/a"):
        with pytest.raises(InvalidPath):
            split_path(bad)


def test_rule_matching_exact_star_and_double_star():
    assert Rule.parse("POST auth/login").matches("POST", segs("auth/login"))
    assert not Rule.parse("POST auth/login").matches("GET", segs("auth/login"))
    assert not Rule.parse("POST auth/login").matches("POST", segs("auth/login/verify"))
    evidence = Rule.parse("POST pe/activities/*/evidence")
    assert evidence.matches("POST", segs("pe/activities/123/evidence"))
    assert not evidence.matches("POST", segs("pe/activities/123/evidence/2"))
    register = Rule.parse("GET register/**")
    assert register.matches("GET", segs("register"))
    assert register.matches("HEAD", segs("register/123/details"))  # GET covers HEAD
    assert not register.matches("GET", segs("registers"))
    assert not register.matches("POST", segs("register/1"))


@pytest.mark.parametrize("text", ["auth/login", "FETCH auth/login", "GET", "GET a/**/b"])
def test_rule_parse_refuses_malformed_rules(text):
    with pytest.raises(ValueError):
        Rule.parse(text)


def test_longest_prefix_wins_on_whole_segments():
    table = RouteTable([Route("admin", "portfolio"), Route("admin/accounts", "identity"),
                        Route("accounts", "identity")])
    assert table.match(segs("admin/accounts/1")).service == "identity"
    assert table.match(segs("admin/cases")).service == "portfolio"
    assert table.match(segs("admin")).service == "portfolio"
    assert table.match(segs("accountsx")) is None
    assert table.match(segs("unknown/accounts")) is None
    assert table.services() == ("portfolio", "identity")


def test_route_validation():
    with pytest.raises(ValueError, match="outside"):
        Route("auth", "identity", public=("POST accounts",))
    with pytest.raises(ValueError, match="twice"):
        RouteTable([Route("auth", "identity"), Route("auth/", "portfolio")])


def test_production_table_public_and_limited_requests():
    def route(path):
        return ROUTES.match(segs(path))

    public = [("POST", "accounts"), ("POST", "auth/login"), ("POST", "auth/login/verify"),
              ("POST", "auth/refresh"), ("POST", "auth/logout"), ("GET", ".well-known/jwks.json")]
    for method, path in public:
        assert route(path).service == "identity"
        assert route(path).is_public(method, segs(path)), (method, path)
    protected = [("GET", "accounts"), ("GET", "accounts/me"), ("PATCH", "accounts/me"), ("GET", "auth/login"),
                 ("GET", "admin/accounts"), ("POST", "admin/accounts/1/roles")]
    for method, path in protected:
        assert not route(path).is_public(method, segs(path)), (method, path)
    limited = {(m, p) for m, p in public + protected if route(p).rate_limit_rule(m, segs(p))}
    assert limited == {("POST", "accounts"), ("POST", "auth/login"), ("POST", "auth/login/verify")}
