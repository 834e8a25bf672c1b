"""Fees and VAT.

Amounts in the data exclude VAT. VAT is computed on the net amount of one fee, rounded half-up to cents;
gross = net + VAT. A year after the latest framework file uses that file's figures; a year before the
earliest file raises ``FrameworkNotFound`` (no figures are invented for invoices).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from recert_common.i18n import Message, register_messages

from .errors import FrameworkNotFound, UnknownFeeKind
from .framework import Framework, available_frameworks, load_framework
from .text import Localized

CENT = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    """A Decimal with exactly two places, rounded half-up (never from a float)."""
    if isinstance(value, (bool, float)):
        raise TypeError("money is never a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_breakdown(net: Decimal | int | str, vat_rate: Decimal | str) -> tuple[Decimal, Decimal, Decimal]:
    """``(net, vat, gross)``, each with two places: vat = net x rate rounded half-up to cents."""
    net = to_money(net)
    vat = to_money(net * Decimal(vat_rate))
    return net, vat, net + vat


@dataclass(frozen=True)
class FeeAmount:
    kind: str
    year: int  # the year asked for
    framework_version: str  # the file the figures came from, e.g. "2024.1" also for 2027
    issuer: str  # "dnv" or "noloc"
    name: Localized
    currency: str
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


def fee_amount(kind: str, year: int, *, framework: Framework | None = None) -> FeeAmount:
    """Net, VAT and gross of fee ``kind`` (``FEE_RECERTIFICATION``, ``FEE_REASSESSMENT``, ``FEE_REGISTER``)
    in ``year``. ``framework`` defaults to the framework of ``year``. There is no affiliate-number fee: the
    platform does not issue affiliate numbers (ADR 0013)."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, not {type(year).__name__}")
    if framework is None:
        earliest = min(available_frameworks())
        if year < earliest:
            raise FrameworkNotFound(f"no fee figures for {year}; the earliest framework is {earliest}")
        framework = load_framework(year)
    definition = framework.fees.items.get(kind)
    if definition is None:
        known = ", ".join(framework.fees.items)
        raise UnknownFeeKind(Message("rules.fees.unknown_kind", kind=kind, known=known), kind=kind)
    net, vat, gross = vat_breakdown(definition.net, framework.fees.vat_rate)
    return FeeAmount(
        kind=kind,
        year=year,
        framework_version=framework.version,
        issuer=definition.issuer,
        name=definition.name,
        currency=framework.fees.currency,
        vat_rate=framework.fees.vat_rate,
        net=net,
        vat=vat,
        gross=gross,
    )


register_messages({
    "rules.fees.unknown_kind": {"nl": "Onbekend soort kosten {kind!r}; kies uit {known}.",
                                "en": "Unknown fee kind {kind!r}; use {known}."},
})
