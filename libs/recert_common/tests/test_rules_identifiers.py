"""Membership and affiliate numbers (platform default formats)."""
import pytest

from recert_common.rules import (
    FRAMEWORK_DIR_ENV,
    KIND_AFFILIATE,
    KIND_MEMBER,
    InvalidRegistrationNumber,
    clear_framework_cache,
    format_affiliate_number,
    is_affiliate_number,
    is_membership_number,
    parse_registration_number,
)


@pytest.fixture(autouse=True, scope="module")
def packaged_only():
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(FRAMEWORK_DIR_ENV, raising=False)
        clear_framework_cache()
        yield
    clear_framework_cache()


@pytest.mark.parametrize(
    "raw, kind, value",
    [
        ("123456", KIND_MEMBER, "123456"),
        ("12345678", KIND_MEMBER, "12345678"),
        (" 1234567 ", KIND_MEMBER, "1234567"),
        ("EXT-000123", KIND_AFFILIATE, "EXT-000123"),
        (" ext-000123\n", KIND_AFFILIATE, "EXT-000123"),
    ],
)
def test_valid_numbers_are_classified_and_normalised(raw, kind, value):
    number = parse_registration_number(raw)
    assert (number.kind, number.value) == (kind, value)


@pytest.mark.parametrize("raw", ["", "12345", "123456789", "12a456", "EXT-12345", "EXT-0001234", "EXT000123",
                                 "N123456"])
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(InvalidRegistrationNumber) as caught:
        parse_registration_number(raw)
    assert "lidmaatschapsnummer" in caught.value.text("nl")
    assert "membership number" in caught.value.text("en")


def test_expected_kind_is_enforced():
    with pytest.raises(InvalidRegistrationNumber) as caught:
        parse_registration_number("EXT-000123", expected_kind=KIND_MEMBER)
    assert caught.value.params["kind"] == KIND_AFFILIATE
    assert caught.value.text("nl") == (
        "'EXT-000123' is geen geldig Noloc-lidmaatschapsnummer (bijvoorbeeld 1234567)."
    )
    assert is_membership_number("1234567") and not is_membership_number("EXT-000123")
    assert is_affiliate_number("EXT-000123") and not is_affiliate_number("1234567")


def test_affiliate_numbers_issued_by_the_platform():
    assert format_affiliate_number(1) == "EXT-000001"
    assert format_affiliate_number(999999) == "EXT-999999"
    assert parse_registration_number(format_affiliate_number(42)).kind == KIND_AFFILIATE
    for bad in (0, -1, 1000000):
        with pytest.raises(ValueError):
            format_affiliate_number(bad)
