"""The account read model's guarded upsert, as SQL (``recert_common.accounts.upsert_statement``); the
services' integration tests deliver account updates out of order against the real database."""
from __future__ import annotations

import pytest

from recert_common.accounts import upsert_statement


def _text(statement) -> str:
    return statement.as_string(None)


def test_the_update_is_guarded_by_the_event_time_and_returns_the_key_when_written():
    text = _text(upsert_statement("accounts", ["membership_number", "roles"]))
    assert text == (
        'INSERT INTO "accounts" ("account_id", "membership_number", "roles", "occurred_at") '
        "VALUES (%(account_id)s, %(membership_number)s, %(roles)s, %(occurred_at)s) "
        'ON CONFLICT ("account_id") DO UPDATE SET "membership_number" = EXCLUDED."membership_number", '
        '"roles" = EXCLUDED."roles", "occurred_at" = EXCLUDED."occurred_at" '
        'WHERE "accounts"."occurred_at" IS NULL OR "accounts"."occurred_at" <= EXCLUDED."occurred_at" '
        'RETURNING "account_id"')


def test_a_service_names_its_own_time_column_keeps_missing_values_and_touches_its_updated_at():
    text = _text(upsert_statement("contacts", ["email"], as_of_column="profile_as_of",
                                  keep_if_null=["email"], touch=["updated_at"]))
    assert '"email" = COALESCE(EXCLUDED."email", "contacts"."email")' in text
    assert '"profile_as_of" = EXCLUDED."profile_as_of", "updated_at" = now()' in text
    assert 'WHERE "contacts"."profile_as_of" IS NULL OR "contacts"."profile_as_of" <= ' in text


def test_names_are_quoted_as_identifiers_never_pasted_in():
    text = _text(upsert_statement('accounts"; DROP TABLE x; --', ['name" = 1; --']))
    assert 'INSERT INTO "accounts""; DROP TABLE x; --"' in text
    assert '"name"" = 1; --" = EXCLUDED."name"" = 1; --"' in text


@pytest.mark.parametrize("columns, options", [
    (["account_id", "email"], {}),
    (["email", "occurred_at"], {}),
    (["email", "email"], {}),
    (["email"], {"keep_if_null": ["full_name"]}),
    (["email"], {"touch": ["email"]}),
])
def test_a_column_given_twice_or_a_misnamed_option_is_refused(columns, options):
    with pytest.raises(ValueError):
        upsert_statement("accounts", columns, **options)
