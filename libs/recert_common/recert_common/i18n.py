"""Messages a person reads, in Dutch (the default) and English.

A message has a stable code (``problem.not_found``, ``detail.malformed_json``, ``field.required``) and one
text per language, with ``{name}`` placeholders filled from parameters. Services add their own codes with
``register_messages`` at import time instead of editing this module.

States, stages and roles are codes (``awaiting_payment``, ``dnv_officer``); a sentence never shows one. A
parameter that is a code is passed as ``Label("awaiting_payment")`` and written with its word from ``LABELS``
("wacht op betaling", "awaiting payment"): one table for every service. Dates are written one way in each
language, "15 januari 2027" / "15 January 2027" (``format_date``); a date parameter is passed as ``Day(d)``.

A text a person reads is written one way: a catalogue code with parameters. Code that must hand a text
on before the reader's language is known (a refusal from the domain, a field error) passes a
``Message("pe.field.date_in_future", day=Day(d))``, rendered (``translate``) where the answer is made; a
parameter with its own words per language is a ``Label``, ``Day``, ``Number``, ``Size``, ``Listing`` or
another ``Message``. ``recert_common.rules.Localized`` is only for texts that arrive as data in both
languages (the assessment framework's names of categories and units); such a value may be a parameter too.

Field messages from marshmallow arrive as English sentences; ``translate_field_message`` recognises
marshmallow's default sentences and renders them in Dutch, so a jobcoach never sees a mix of languages.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DEFAULT_LANGUAGE = "nl"
LANGUAGES: tuple[str, ...] = ("nl", "en")

_CATALOGUE: dict[str, dict[str, str]] = {}

# The words for the codes of states, stages and roles that a reader may meet inside a sentence.
LABELS: dict[str, dict[str, str]] = {
    # roles
    "jobcoach": {"nl": "jobcoach", "en": "jobcoach"},
    "assessor": {"nl": "beoordelaar", "en": "assessor"},
    "dnv_officer": {"nl": "DNV-medewerker", "en": "DNV officer"},
    "noloc_admin": {"nl": "Noloc-beheerder", "en": "Noloc admin"},
    "mentor": {"nl": "mentor", "en": "mentor"},
    "dnv_support": {"nl": "DNV-support", "en": "DNV support"},
    # assessment cases
    "opened": {"nl": "wacht op de PE-toets", "en": "awaiting the PE check"},
    "awaiting_payment": {"nl": "wacht op betaling", "en": "awaiting payment"},
    "ready_for_assignment": {"nl": "wacht op een beoordelaar", "en": "awaiting an assessor"},
    "assigned": {"nl": "in beoordeling", "en": "being assessed"},
    "advised": {"nl": "wacht op het besluit van DNV", "en": "awaiting DNV's decision"},
    "supplement_due": {"nl": "wacht op de aanvulling", "en": "awaiting the supplement"},
    "supplement_received": {"nl": "aanvulling ontvangen, wacht op betaling",
                            "en": "supplement received, awaiting payment"},
    "reassessing": {"nl": "aanvulling in beoordeling", "en": "supplement being assessed"},
    "reassessed": {"nl": "aanvulling beoordeeld, wacht op het besluit van DNV",
                   "en": "supplement assessed, awaiting DNV's decision"},
    "objection_upheld": {"nl": "bezwaar gegrond, wacht op een nieuw besluit",
                         "en": "objection upheld, awaiting a new decision"},
    "pe_check_failed": {"nl": "PE-toets niet behaald, wacht op het besluit van DNV",
                        "en": "PE check failed, awaiting DNV's decision"},
    "pe_supplement_due": {"nl": "wacht op de aanvulling van de PE", "en": "awaiting the PE supplement"},
    "pe_supplement_received": {"nl": "aanvulling PE ontvangen, wacht op betaling",
                               "en": "PE supplement received, awaiting payment"},
    "decided": {"nl": "besloten", "en": "decided"},
    "withdrawn": {"nl": "ingetrokken", "en": "withdrawn"},
    # stages of a case
    "pe_check": {"nl": "PE-toets", "en": "PE check"},
    "assessment": {"nl": "beoordeling", "en": "assessment"},
    "supplement": {"nl": "aanvulling", "en": "supplement"},
    "decision": {"nl": "besluit", "en": "decision"},
    # portfolio cycles
    "open": {"nl": "open", "en": "open"},
    "submitted": {"nl": "ingediend", "en": "submitted"},
    "supplement_open": {"nl": "aanvulling open", "en": "supplement open"},
    "supplement_submitted": {"nl": "aanvulling ingediend", "en": "supplement submitted"},
    "closed": {"nl": "afgesloten", "en": "closed"},
    # invoices
    "paid": {"nl": "betaald", "en": "paid"},
    "cancelled": {"nl": "geannuleerd", "en": "cancelled"},
    # certificates
    "active": {"nl": "geldig", "en": "active"},
    "lapsed": {"nl": "vervallen", "en": "lapsed"},
    # messages
    "pending": {"nl": "wacht op verzending", "en": "waiting to be sent"},
    "sent": {"nl": "verzonden", "en": "sent"},
    "failed": {"nl": "mislukt", "en": "failed"},
    "delivered": {"nl": "afgeleverd", "en": "delivered"},
}


MONTHS: dict[str, tuple[str, ...]] = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def format_date(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """``date(2027, 1, 15)`` -> "15 januari 2027" (nl) or "15 January 2027" (en): the one date format of the
    platform's texts. Month names are written out here, not taken from the machine's locales."""
    if isinstance(day, datetime):
        raise TypeError("format_date takes a date, not an instant")
    months = MONTHS.get(language, MONTHS[DEFAULT_LANGUAGE])
    return f"{day.day} {months[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Day:
    """A message parameter that is a date, written with ``format_date`` in the reader's language."""

    day: date

    def render(self, language: str) -> str:
        return format_date(self.day, language)

    def __str__(self) -> str:
        return self.day.isoformat()


def format_number(value: Decimal | int, language: str = DEFAULT_LANGUAGE) -> str:
    """``Decimal("12.50")`` -> "12,5" (nl) or "12.5" (en); whole numbers without decimals, never exponents."""
    text = format(Decimal(value).normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.replace(".", ",") if language == "nl" else text


_CURRENCY_SIGNS = {"EUR": "€"}


def _group_thousands(whole: str, separator: str) -> str:
    digits = whole.lstrip("-")
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return ("-" if whole.startswith("-") else "") + separator.join(groups)


def format_money(money: Mapping[str, Any] | Decimal, language: str = DEFAULT_LANGUAGE,
                 currency: str = "EUR") -> str:
    """An amount to the cent (half up), the way its reader writes it: ``Decimal("1242.5")`` -> "€ 1.242,50"
    (nl) or "€1,242.50" (en); negative "€ -200,00". ``money`` may be an API money object
    (``{"amount": ..., "currency": ...}``). The one money format of e-mails and invoices."""
    if isinstance(money, Mapping):
        amount, currency = Decimal(money["amount"]), money["currency"]
    else:
        amount = Decimal(money)
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, cents = format(amount, "f").split(".")
    sign = _CURRENCY_SIGNS.get(currency, currency + " ")
    if reader_language(language) == "nl":
        # Dutch puts a space after the sign: "€ 242,00".
        return f"{sign.rstrip()} {_group_thousands(whole, '.')},{cents}"
    return f"{sign}{_group_thousands(whole, ',')}.{cents}"


@dataclass(frozen=True)
class Number:
    """A message parameter that is a number, written with ``format_number`` (decimal comma in Dutch)."""

    value: Decimal | int

    def render(self, language: str) -> str:
        return format_number(self.value, language)

    def __str__(self) -> str:
        return format_number(self.value, "en")


MiB = 1024 * 1024


def format_size(size: int, language: str = DEFAULT_LANGUAGE) -> str:
    """A size as people read it, with the exact number of bytes: MiB written as "MB" (one decimal at most,
    Dutch decimal comma), kB below that ("20 MB (20971520 bytes)"), else bytes. Every limit a problem states
    (the gateway's and the services') is written this way."""
    if size >= MiB:
        value, unit = size / MiB, "MB"
    elif size >= 1024:
        value, unit = size / 1024, "kB"
    else:
        return f"{size} bytes"
    text = f"{value:.1f}".removesuffix(".0")
    if language == "nl":
        text = text.replace(".", ",")
    return f"{text} {unit} ({size} bytes)"


@dataclass(frozen=True)
class Size:
    """A message parameter that is a number of bytes, written with ``format_size``."""

    size: int

    def render(self, language: str) -> str:
        return format_size(self.size, language)

    def __str__(self) -> str:
        return f"{self.size} bytes"


def label(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The word for a state, stage or role code in ``language``; an unknown code as it is."""
    words = LABELS.get(str(code))
    if words is None:
        return str(code)
    return words.get(language) or words[DEFAULT_LANGUAGE]


@dataclass(frozen=True, init=False)
class Label:
    """A message parameter that is one or more codes, written with their words (joined by commas)."""

    codes: tuple[str, ...]

    def __init__(self, *codes: Any):
        object.__setattr__(self, "codes", tuple(str(code) for code in codes))

    def render(self, language: str) -> str:
        return ", ".join(label(code, language) for code in self.codes)

    def __str__(self) -> str:
        return ", ".join(self.codes)


@dataclass(frozen=True, init=False)
class Listing:
    """A message parameter that is several texts (``Message``, ``Label``, ...), each rendered and joined by
    commas: "PDF, PNG, platte tekst (.txt)"; or, with ``joined_by`` (a catalogue code such as ``list.and``),
    by that word in the reader's language: "12 in categorie 1 en 5 in categorie 2"."""

    parts: tuple[Any, ...]
    joined_by: str | None

    def __init__(self, *parts: Any, joined_by: str | None = None):
        object.__setattr__(self, "parts", tuple(parts))
        object.__setattr__(self, "joined_by", joined_by)

    def render(self, language: str) -> str:
        separator = ", " if self.joined_by is None else translate(self.joined_by, language)
        return separator.join(_rendered(part, language) for part in self.parts)

    def __str__(self) -> str:
        return ", ".join(str(part) for part in self.parts)


@dataclass(frozen=True, init=False)
class Message:
    """A text a person will read, not yet in a language: a catalogue code and its parameters.

    ``Message("pe.field.category_unknown", category=9, known="1, 2, 3")`` travels from the domain to the
    edge (in a refusal, among field errors) and is rendered there in the reader's language. It compares by
    value; ``str()`` gives the code and parameters, for logs.
    """

    code: str
    params: tuple[tuple[str, Any], ...]

    def __init__(self, code: str, /, **params: Any):
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "params", tuple(params.items()))

    def render(self, language: str = DEFAULT_LANGUAGE) -> str:
        return translate(self.code, language, **dict(self.params))

    def __str__(self) -> str:
        if not self.params:
            return self.code
        return f"{self.code}({', '.join(f'{name}={value}' for name, value in self.params)})"


def _rendered(value: Any, language: str) -> Any:
    """A parameter in ``language``: anything with ``render(language)`` (``Label``, ``Day``, ``Number``,
    ``Size``, ``Listing``, ``Message``, a ``Localized`` text from data) is rendered, the rest is as it is."""
    render = getattr(value, "render", None)
    return render(language) if callable(render) else value


def register_messages(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add codes to the catalogue: ``{"portfolio.locked": {"nl": "...", "en": "..."}}``.

    Every code needs a text in every language so that no reader falls back silently; re-registering a code
    with the same texts is allowed (modules may be imported twice in tests), with other texts it is a bug.
    """
    for code, texts in messages.items():
        missing = [lang for lang in LANGUAGES if not texts.get(lang)]
        if missing:
            raise ValueError(f"message {code!r} lacks a text for {', '.join(missing)}")
        known = _CATALOGUE.get(code)
        if known is not None and known != dict(texts):
            raise ValueError(f"message {code!r} is already registered with other texts")
        _CATALOGUE[code] = dict(texts)


def is_known(code: str) -> bool:
    return code in _CATALOGUE


def known_codes() -> frozenset[str]:
    return frozenset(_CATALOGUE)


class _KeepMissing(dict):
    """Leaves an unknown ``{placeholder}`` in place: a missing parameter must not turn an error into a 500."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(code: str, language: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The text of ``code`` in ``language`` (falling back to Dutch, then to the code itself)."""
    texts = _CATALOGUE.get(code)
    if texts is None:
        return code
    if not texts.get(language):
        language = DEFAULT_LANGUAGE
    template = texts[language]
    params = {name: _rendered(value, language) for name, value in params.items()}
    try:
        return template.format_map(_KeepMissing(params))
    except (ValueError, IndexError, AttributeError):
        return template


def reader_language(language: str | None) -> str:
    """The language a text is given in for ``language``: "en" for "en", "en-GB" and the like, else Dutch,
    the platform's first language."""
    return "en" if (language or "").lower().startswith("en") else "nl"


def negotiate_language(accept_language: str | None, supported: Iterable[str] = LANGUAGES) -> str:
    """The best supported language for an ``Accept-Language`` header, honouring quality values.

    ``en-GB`` matches ``en``; ``*``, an empty header or only unsupported languages give Dutch.
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    # Imported here: domain modules use this module's texts and dates without the web stack.
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    accepted = parse_accept_header(accept_language, LanguageAccept)
    return accepted.best_match(list(supported), default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


# Marshmallow's default field messages, as patterns, each mapped to a code of ours. The named groups become
# the parameters of the translated text.
_FIELD_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), code)
    for pattern, code in (
        (r"Missing data for required field\.", "field.required"),
        (r"Field may not be null\.", "field.null"),
        (r"Unknown field\.", "field.unknown"),
        (r"Invalid value\.", "field.invalid"),
        (r"Invalid input\.", "field.invalid"),
        (r"Invalid type\.", "field.invalid_type"),
        (r"Invalid input type\.", "field.invalid_type"),
        (r"Not a valid string\.", "field.not_string"),
        (r"Not a valid utf-8 string\.", "field.not_string"),
        (r"Not a valid integer\.", "field.not_integer"),
        (r"Not a valid number\.", "field.not_number"),
        (r"Number too large\.", "field.number_too_large"),
        (r"Special numeric values \(nan or infinity\) are not permitted\.", "field.not_number"),
        (r"Not a valid boolean\.", "field.not_boolean"),
        (r"Not a valid (?:naive |aware )?datetime\.", "field.not_datetime"),
        (r"Not a valid date\.", "field.not_date"),
        (r"Not a valid (?:naive |aware )?time\.", "field.not_time"),
        (r"Not a valid UUID\.", "field.not_uuid"),
        (r"Not a valid email address\.", "field.not_email"),
        (r"Not a valid URL\.", "field.not_url"),
        (r"Not a valid list\.", "field.not_list"),
        (r"Not a valid tuple\.", "field.not_list"),
        (r"Not a valid mapping type\.", "field.not_mapping"),
        (r"Shorter than minimum length (?P<min>\S+)\.", "field.length_min"),
        (r"Longer than maximum length (?P<max>\S+)\.", "field.length_max"),
        (r"Length must be between (?P<min>\S+) and (?P<max>\S+)\.", "field.length_between"),
        (r"Length must be (?P<equal>\S+)\.", "field.length_equal"),
        (r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
         "field.range_between"),
        (r"Must be greater than or equal to (?P<min>\S+)\.", "field.range_min"),
        (r"Must be greater than (?P<min>\S+)\.", "field.range_above"),
        (r"Must be less than or equal to (?P<max>\S+)\.", "field.range_max"),
        (r"Must be less than (?P<max>\S+)\.", "field.range_below"),
        (r"Must be one of: (?P<choices>.*)\.", "field.one_of"),
        (r"String does not match expected pattern\.", "field.pattern"),
    )
)


def translate_field_message(message: str | Message, language: str = DEFAULT_LANGUAGE) -> str:
    """A validation message for one field in ``language``.

    A ``Message`` is rendered; a message that is a code of ours is translated; a marshmallow default
    sentence becomes ours; anything else (a service's own sentence) passes unchanged.
    """
    if isinstance(message, Message):
        return message.render(language)
    if message in _CATALOGUE:
        return translate(message, language)
    for pattern, code in _FIELD_PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return translate(code, language, **match.groupdict())
    return message


register_messages({
    # Problem titles, one per problem type.
    "problem.bad_request": {"nl": "Ongeldig verzoek", "en": "Bad request"},
    "problem.validation_failed": {"nl": "De invoer is niet geldig", "en": "The input is not valid"},
    "problem.unauthorized": {"nl": "Inloggen vereist", "en": "Authentication required"},
    "problem.forbidden": {"nl": "Geen toegang", "en": "Access denied"},
    "problem.not_found": {"nl": "Niet gevonden", "en": "Not found"},
    "problem.method_not_allowed": {"nl": "Methode niet toegestaan", "en": "Method not allowed"},
    "problem.conflict": {"nl": "Conflict met de huidige toestand", "en": "Conflict with the current state"},
    "problem.payload_too_large": {"nl": "Het verzoek is te groot", "en": "Request too large"},
    "problem.unsupported_media_type": {"nl": "Inhoudstype niet ondersteund", "en": "Unsupported media type"},
    "problem.uri_too_long": {"nl": "Het adres is te lang", "en": "The address is too long"},
    "problem.expectation_failed": {"nl": "Aan de Expect-kopregel kan niet worden voldaan",
                                   "en": "The Expect header cannot be met"},
    "problem.header_fields_too_large": {"nl": "De kopregels van het verzoek zijn te groot",
                                       "en": "The request's header fields are too large"},
    "problem.too_many_requests": {"nl": "Te veel verzoeken", "en": "Too many requests"},
    "problem.internal_error": {"nl": "Interne fout", "en": "Internal error"},
    "problem.bad_gateway": {"nl": "Fout in een achterliggende dienst", "en": "Upstream service failed"},
    "problem.service_unavailable": {
        "nl": "Dienst tijdelijk niet beschikbaar", "en": "Service temporarily unavailable"},
    "problem.gateway_timeout": {
        "nl": "Achterliggende dienst antwoordt niet op tijd", "en": "Upstream service timed out"},
    "problem.http_error": {
        "nl": "Het verzoek kon niet worden verwerkt", "en": "The request could not be processed"},
    # Words between the parts of a Listing(..., joined_by=code).
    "list.and": {"nl": " en ", "en": " and "},
    # Field messages every service uses.
    "field.blank": {"nl": "Mag niet leeg zijn.", "en": "May not be blank."},
    # Details.
    "detail.malformed_json": {
        "nl": "De inhoud van het verzoek is geen geldige JSON.", "en": "The request body is not valid JSON."},
    "detail.route_not_found": {
        "nl": "Op dit adres is niets te vinden.", "en": "There is nothing at this address."},
    "detail.method_not_allowed": {
        "nl": "De methode {method} is hier niet toegestaan.",
        "en": "The method {method} is not allowed here."},
    "detail.unsupported_media_type": {
        "nl": "Stuur de inhoud als application/json.", "en": "Send the body as application/json."},
    "detail.internal_error": {
        "nl": "Er ging iets mis aan onze kant. Noem kenmerk {request_id} als je contact met ons opneemt.",
        "en": "Something went wrong on our side. Please quote reference {request_id} when you contact us."},
    "field.nul_character": {
        "nl": "Bevat een ongeldig teken (NUL).", "en": "Contains an invalid character (NUL)."},
    "field.lone_surrogate": {
        "nl": "Bevat een ongeldig teken (een losse UTF-16-surrogaat).",
        "en": "Contains an invalid character (a lone UTF-16 surrogate)."},
    "detail.json_too_deep": {
        "nl": "De JSON-inhoud is te diep genest (hoogstens {max_depth} niveaus).",
        "en": "The JSON body is nested too deeply (at most {max_depth} levels)."},
    "detail.database_unavailable": {
        "nl": "De gegevens zijn even niet bereikbaar. Probeer het over enkele ogenblikken opnieuw.",
        "en": "The data is briefly out of reach. Please try again in a few moments."},
    "detail.token_missing": {
        "nl": "Voor dit verzoek is een toegangstoken nodig.", "en": "This request needs an access token."},
    "detail.token_invalid": {"nl": "Het toegangstoken is ongeldig.", "en": "The access token is invalid."},
    "detail.token_expired": {"nl": "Het toegangstoken is verlopen.", "en": "The access token has expired."},
    "detail.token_revoked": {
        "nl": "Deze sessie is beëindigd. Log opnieuw in.",
        "en": "This session has ended. Please log in again."},
    "detail.role_required": {
        "nl": "Hiervoor is een van deze rollen nodig: {roles}.",
        "en": "This needs one of these roles: {roles}."},
    "detail.auth_unavailable": {
        "nl": "Toegangstokens kunnen nu niet worden gecontroleerd. Probeer het later opnieuw.",
        "en": "Access tokens cannot be checked right now. Please try again later."},
    "detail.not_ready": {"nl": "Niet gereed: {checks}.", "en": "Not ready: {checks}."},
    "detail.upstream_unreachable": {
        "nl": "De dienst {service} is niet bereikbaar.", "en": "The service {service} cannot be reached."},
    "detail.upstream_timeout": {
        "nl": "De dienst {service} antwoordde niet op tijd.",
        "en": "The service {service} did not answer in time."},
    "detail.upstream_error": {
        "nl": "De dienst {service} gaf een onverwacht antwoord (status {status}).",
        "en": "The service {service} gave an unexpected answer (status {status})."},
    # Field messages (marshmallow's defaults, see _FIELD_PATTERNS).
    "field.required": {"nl": "Dit veld is verplicht.", "en": "Missing data for required field."},
    "field.null": {"nl": "Dit veld mag niet leeg (null) zijn.", "en": "Field may not be null."},
    "field.unknown": {"nl": "Onbekend veld.", "en": "Unknown field."},
    "field.invalid": {"nl": "Ongeldige waarde.", "en": "Invalid value."},
    "field.invalid_type": {"nl": "Ongeldig type.", "en": "Invalid type."},
    "field.not_string": {"nl": "Geen geldige tekst.", "en": "Not a valid string."},
    "field.not_integer": {"nl": "Geen geldig geheel getal.", "en": "Not a valid integer."},
    "field.not_number": {"nl": "Geen geldig getal.", "en": "Not a valid number."},
    "field.number_too_large": {"nl": "Het getal is te groot.", "en": "Number too large."},
    "field.not_boolean": {"nl": "Geen geldige ja/nee-waarde.", "en": "Not a valid boolean."},
    "field.not_datetime": {"nl": "Geen geldig tijdstip.", "en": "Not a valid datetime."},
    "field.not_date": {"nl": "Geen geldige datum.", "en": "Not a valid date."},
    "field.not_time": {"nl": "Geen geldige tijd.", "en": "Not a valid time."},
    "field.not_uuid": {"nl": "Geen geldige UUID.", "en": "Not a valid UUID."},
    "field.not_email": {"nl": "Geen geldig e-mailadres.", "en": "Not a valid email address."},
    "field.not_url": {"nl": "Geen geldige URL.", "en": "Not a valid URL."},
    "field.not_list": {"nl": "Geen geldige lijst.", "en": "Not a valid list."},
    "field.not_mapping": {"nl": "Geen geldig object.", "en": "Not a valid mapping type."},
    "field.length_min": {
        "nl": "Korter dan de minimale lengte {min}.", "en": "Shorter than minimum length {min}."},
    "field.length_max": {
        "nl": "Langer dan de maximale lengte {max}.", "en": "Longer than maximum length {max}."},
    "field.length_between": {
        "nl": "De lengte moet tussen {min} en {max} liggen.",
        "en": "Length must be between {min} and {max}."},
    "field.length_equal": {"nl": "De lengte moet {equal} zijn.", "en": "Length must be {equal}."},
    "field.range_between": {
        "nl": "Moet minstens {min} en hoogstens {max} zijn.",
        "en": "Must be greater than or equal to {min} and less than or equal to {max}."},
    "field.range_min": {"nl": "Moet minstens {min} zijn.", "en": "Must be greater than or equal to {min}."},
    "field.range_above": {"nl": "Moet groter dan {min} zijn.", "en": "Must be greater than {min}."},
    "field.range_max": {"nl": "Mag hoogstens {max} zijn.", "en": "Must be less than or equal to {max}."},
    "field.range_below": {"nl": "Moet kleiner dan {max} zijn.", "en": "Must be less than {max}."},
    "field.one_of": {"nl": "Moet een van deze zijn: {choices}.", "en": "Must be one of: {choices}."},
    "field.pattern": {
        "nl": "Voldoet niet aan het verwachte patroon.", "en": "String does not match expected pattern."},
})
