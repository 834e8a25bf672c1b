"""The assessment framework (toetsingskader) as versioned data, and pure functions that interpret it.

Every number lives in ``rules/frameworks/<year>.json`` (see ``framework.py`` for how files are found and
overlaid by ``RECERT_FRAMEWORK_DIR``); nothing here touches a database, the network or Flask. Each function
takes an optional ``framework=``; without it the framework of the relevant year (or the latest) is used.
"""
from .errors import (
    FrameworkDataError,
    FrameworkNotFound,
    InvalidPeAmount,
    InvalidRegistrationNumber,
    RulesError,
    UnknownCategory,
    UnknownFeeKind,
    UnknownUnit,
)
from .fees import CENT, FeeAmount, fee_amount, to_money, vat_breakdown
from .framework import (
    FEE_KINDS,
    FEE_REASSESSMENT,
    FEE_RECERTIFICATION,
    FEE_REGISTER,
    FRAMEWORK_DIR_ENV,
    ISSUER_DNV,
    ISSUER_NOLOC,
    PE_UNITS,
    UNIT_ECTS,
    UNIT_HOURS,
    UNIT_POINTS,
    Framework,
    PeCategory,
    PeUnit,
    available_frameworks,
    clear_framework_cache,
    load_framework,
    parse_framework,
    read_framework_file,
)
from .identifiers import (
    KIND_AFFILIATE,
    KIND_MEMBER,
    RegistrationNumber,
    format_affiliate_number,
    is_affiliate_number,
    is_membership_number,
    normalise_registration_number,
    parse_registration_number,
)
from .pe import (
    MISSING_CATEGORY_MINIMUM,
    MISSING_TOTAL,
    CategorySummary,
    MissingPoints,
    PeItem,
    PeSummary,
    pe_points,
    pe_summary,
)
from .periods import (
    RESULT_DUE_SOON,
    RESULT_ON_TRACK,
    RESULT_OVERDUE,
    DateRange,
    ValidityPeriod,
    add_months,
    add_years,
    can_submit,
    certificate_validity,
    new_portfolio_deadline,
    next_cycle_start,
    pe_period,
    pe_period_first_day,
    pe_period_last_day,
    renewed_validity,
    result_due_on,
    result_expected_window,
    result_status,
    submission_window,
    supplement_deadline,
)
from .reflection import required_reflection_meetings, required_reflection_reports
from .text import Localized, format_number

__all__ = [
    "CENT", "FEE_KINDS", "FEE_REASSESSMENT", "FEE_RECERTIFICATION", "FEE_REGISTER",
    "FRAMEWORK_DIR_ENV", "ISSUER_DNV", "ISSUER_NOLOC", "KIND_AFFILIATE", "KIND_MEMBER",
    "MISSING_CATEGORY_MINIMUM", "MISSING_TOTAL", "PE_UNITS", "RESULT_DUE_SOON", "RESULT_ON_TRACK",
    "RESULT_OVERDUE", "UNIT_ECTS", "UNIT_HOURS", "UNIT_POINTS",
    "CategorySummary", "DateRange", "FeeAmount", "Framework", "FrameworkDataError", "FrameworkNotFound",
    "InvalidPeAmount", "InvalidRegistrationNumber", "Localized", "MissingPoints", "PeCategory", "PeItem",
    "PeSummary", "PeUnit", "RegistrationNumber", "RulesError", "UnknownCategory", "UnknownFeeKind",
    "UnknownUnit", "ValidityPeriod",
    "add_months", "add_years", "available_frameworks", "can_submit", "certificate_validity",
    "clear_framework_cache", "fee_amount", "format_affiliate_number", "format_number",
    "is_affiliate_number", "is_membership_number", "load_framework", "new_portfolio_deadline",
    "next_cycle_start", "normalise_registration_number", "parse_framework", "parse_registration_number",
    "pe_period", "pe_period_first_day", "pe_period_last_day", "pe_points", "pe_summary",
    "read_framework_file", "renewed_validity", "required_reflection_meetings",
    "required_reflection_reports", "result_due_on", "result_expected_window", "result_status",
    "submission_window", "supplement_deadline", "to_money", "vat_breakdown",
]
