"""Fees per year with 21% VAT, pinned to the packaged frameworks."""
from decimal import Decimal

import pytest

from recert_common.rules import (
    FEE_KINDS,
    FEE_REASSESSMENT,
    FEE_RECERTIFICATION,
    FEE_REGISTER,
    FRAMEWORK_DIR_ENV,
    ISSUER_DNV,
    ISSUER_NOLOC,
    FrameworkNotFound,
    UnknownFeeKind,
    clear_framework_cache,
    fee_amount,
    to_money,
    vat_breakdown,
)

D = Decimal


@pytest.fixture(autouse=True, scope="module")
def packaged_only():
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(FRAMEWORK_DIR_ENV, raising=False)
        clear_framework_cache()
        yield
    clear_framework_cache()


def test_fee_kinds_are_plain_strings():
    assert FEE_KINDS == ("recertification", "reassessment", "register_fee")


def test_there_is_no_affiliate_number_fee():
    """Noloc's secretariat charges for an affiliate number; the platform issues none, so charges none."""
    for year in (2023, 2024):
        with pytest.raises(UnknownFeeKind):
            fee_amount("affiliate_number", year)


@pytest.mark.parametrize(
    "kind, year, net, vat, gross, version",
    [
        (FEE_RECERTIFICATION, 2023, "200.00", "42.00", "242.00", "2023.1"),
        (FEE_REASSESSMENT, 2023, "75.00", "15.75", "90.75", "2023.1"),
        (FEE_REGISTER, 2023, "202.50", "42.53", "245.03", "2023.1"),
        (FEE_RECERTIFICATION, 2024, "200.00", "42.00", "242.00", "2024.1"),
        (FEE_REASSESSMENT, 2024, "75.00", "15.75", "90.75", "2024.1"),
        (FEE_REGISTER, 2024, "212.50", "44.63", "257.13", "2024.1"),
        # After the last known year: the latest known figures.
        (FEE_RECERTIFICATION, 2027, "200.00", "42.00", "242.00", "2024.1"),
        (FEE_REGISTER, 2027, "212.50", "44.63", "257.13", "2024.1"),
    ],
)
def test_each_fee_each_year_with_vat(kind, year, net, vat, gross, version):
    fee = fee_amount(kind, year)
    assert (fee.net, fee.vat, fee.gross) == (D(net), D(vat), D(gross))
    for amount in (fee.net, fee.vat, fee.gross):
        assert amount.as_tuple().exponent == -2
    assert (fee.kind, fee.year, fee.framework_version) == (kind, year, version)
    assert (fee.currency, fee.vat_rate) == ("EUR", D("0.21"))


def test_issuers():
    assert {kind: fee_amount(kind, 2024).issuer for kind in FEE_KINDS} == {
        FEE_RECERTIFICATION: ISSUER_DNV,
        FEE_REASSESSMENT: ISSUER_DNV,
        FEE_REGISTER: ISSUER_NOLOC,
    }


def test_no_fee_figures_are_invented_before_the_first_year():
    with pytest.raises(FrameworkNotFound):
        fee_amount(FEE_RECERTIFICATION, 2022)


def test_unknown_kind():
    with pytest.raises(UnknownFeeKind) as caught:
        fee_amount("mentor", 2024)
    assert caught.value.params["kind"] == "mentor"


def test_vat_rounds_half_up_to_cents():
    # 0.50 x 0.21 = 0.105: half-up gives 0.11 where banker's rounding would give 0.10.
    assert vat_breakdown(D("0.50"), D("0.21")) == (D("0.50"), D("0.11"), D("0.61"))
    assert vat_breakdown(D("202.50"), "0.21") == (D("202.50"), D("42.53"), D("245.03"))
    assert vat_breakdown(10, D("0.09")) == (D("10.00"), D("0.90"), D("10.90"))


def test_money_is_never_a_float():
    assert to_money("2.005") == D("2.01")
    assert str(to_money(7)) == "7.00"
    with pytest.raises(TypeError):
        to_money(2.5)
