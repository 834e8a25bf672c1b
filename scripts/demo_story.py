"""The steps of the demo: one jobcoach's recertification from registration to the renewed certificate, with
DNV, an assessor and a Noloc admin playing their parts, all through the gateway.

Each step returns the lines it prints (the first on the step's own line) and raises ``StepFailed`` the
moment the system does not do what the step expects. Waits for events are polls with a timeout.
"""
from __future__ import annotations

import calendar
import email
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from demo_client import (
    Gateway,
    Keyring,
    Session,
    StepFailed,
    UnknownAuthenticator,
    describe,
    log_in,
    poll,
)

ZONE = ZoneInfo("Europe/Amsterdam")
PASSWORD_BYTES = 12
DAYS_BEFORE_EXPIRY = 60  # inside the submission window, which opens 3 months before expiry
VALIDITY_YEARS = 4
STAFF_ROLES = ("noloc_admin", "dnv_officer", "assessor")
ROLE_NAMES = {"noloc_admin": "Noloc-beheerder", "dnv_officer": "DNV", "assessor": "beoordelaar"}
FIRST_NAMES = ("Sanne", "Ahmed", "Femke", "Joris", "Naima", "Pieter", "Lotte", "Youssef")
LAST_NAMES = ("Vermeulen", "de Boer", "El Amrani", "Jansen", "Kok", "van Dijk", "Smit", "Bos")
# (category, title, provider, amount, unit, days ago): 45 + 20 + 10 = 75 points, every category at most
# its maximum in the default framework, category 1 above its minimum of 30.
PE_PLAN = (
    (1, "Leergang re-integratie en arbeidsrecht", "Hogeschool Utrecht", "30", "sbu", 120),
    (1, "Webinar Wet verbetering poortwachter", "Noloc Academie", "15", "sbu", 75),
    (2, "Workshop gegeven op het Noloc-congres", "Noloc", "20", "points", 50),
    (6, "Vakliteratuur: loopbaanbegeleiding in de praktijk", "Zelfstudie", "10", "sbu", 25),
)
# What the jobcoach writes, and what the assessor asks for.
TEXTS = {
    "A1": "Loopbaan in hoofdlijnen sinds 2008; de laatste vier jaar in detail: jobcoach bij een "
          "re-integratiebedrijf, doelgroepen Wajong en WW, vragen over werkbehoud en herplaatsing.",
    "A2": "Terugblik op het ontwikkelplan: arbeidsrecht verdiept, netwerk in de regio uitgebreid.",
    "A3": "Reflectie op de intervisie: hoe ik omging met een cliënt die zijn re-integratie uitstelde.",
    "A4": "Ontwikkelplan: meer kennis van psychische klachten op het werk; supervisie op mijn handelen.",
    "A3 revised": "Situatie: een cliënt stelde zijn re-integratie steeds uit. Taak: samen een eerste stap "
                  "vinden. Actie: ik vroeg door naar wat hem tegenhield. Resultaat: hij durfde een "
                  "proefplaatsing aan. Reflectie: ik vraag nu eerder naar angst in plaats van de planning.",
    "A3 assignment": "Herschrijf de reflectie met de STARR-methode: wat deed je, wat leerde je, wat doe je "
                     "nu anders?",
}
MEETING_GROUP = "Intervisiegroep Utrecht-Oost"
MEETING_KINDS = ("intervision", "supervision", "quality_circle", "coaching")
MEETING_NAMES = {"intervision": "intervisie", "supervision": "supervisie",
                 "quality_circle": "kwaliteitskring", "coaching": "coaching"}


@dataclass(frozen=True)
class StoryConfig:
    seed: dict[str, Any]  # the output of `python -m recert_identity seed-demo`
    webhook_secret: str  # the payment provider's shared secret (RECERT_BILLING_WEBHOOK_SECRET)
    keyring_path: Path  # the staff's authenticator secrets, kept between runs
    mail_dir: Path  # where the SMTP sink stores the e-mails (.eml)
    wait_seconds: float = 20.0  # the longest wait for one thing an event brings about
    poll_seconds: float = 0.2


def today() -> date:
    return datetime.now(ZONE).date()


def add_years(day: date, years: int) -> date:
    """29 February becomes 28 February in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (as recert_common.rules counts)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


DUTCH_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                "oktober", "november", "december")


def _dutch_date(day: str | date) -> str:
    """2027-01-15 (ISO text or a date) -> "15 januari 2027", the one date format of Dutch texts."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day} {DUTCH_MONTHS[day.month - 1]} {day.year}"


def small_pdf(text: str) -> bytes:
    """A one-page PDF saying ``text``, with a correct cross-reference table: a real file, as a scanner
    or a course provider would produce."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = f"BT /F1 14 Tf 72 770 Td ({escaped}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    document = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(document))
        document += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(document)


def sign_webhook(secret: str, body: bytes) -> str:
    """The provider's X-Signature: ``t=<unix seconds>,v1=<HMAC-SHA256 of "<t>." + body>``."""
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _short(identifier: str) -> str:
    return str(identifier)[:8]


def _money(money: dict[str, str]) -> str:
    if money.get("currency") == "EUR":  # "€ 242,00", as the invoice e-mails write it
        return f"€ {money['amount'].replace('.', ',')}"
    return f"{money['amount']} {money['currency']}"


def _upload_headers(filename: str) -> dict[str, str]:
    return {"Content-Type": "application/pdf", "Content-Disposition": f'attachment; filename="{filename}"'}


@dataclass
class Story:
    """One run: the jobcoach is new every time (unique e-mail and membership number); the staff are the
    demo accounts of the seed."""

    gateway: Gateway
    config: StoryConfig
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    facts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.keyring = Keyring(self.config.keyring_path)
        self.staff: dict[str, Session] = {}
        self.coach: Session | None = None
        self.password = ""
        self.case_id: str | None = None

    def steps(self) -> list[tuple[str, Callable[[], list[str]]]]:
        return [
            ("Registratie", self.register),
            ("Inloggen met TOTP", self.log_in_jobcoach),
            ("Medewerkers", self.log_in_staff),
            ("Certificaat", self.import_certificate),
            ("PE", self.record_pe),
            ("A1, A2, A4", self.write_parts),
            ("A3 en reflectie", self.reflect),
            ("Indienen", self.submit),
            ("PE-toets", self.pe_check),
            ("Factuur", self.pay_recertification),
            ("Toewijzen", self.assign),
            ("Advies uitgesteld", self.postponed_advice),
            ("Besluit uitgesteld", self.postponed_decision),
            ("Aanvulling", self.supplement),
            ("Herbeoordeling", self.pay_reassessment),
            ("Positief besluit", self.positive_decision),
            ("Verlengd", self.renewed_certificate),
            ("E-mails", self.mails),
        ]

    # --- helpers -----------------------------------------------------------------------------------------

    def _poll(self, expected: str, probe: Callable[[], tuple[Any, str]]) -> Any:
        return poll(expected, probe, timeout=self.config.wait_seconds, interval=self.config.poll_seconds)

    def _probe(self, path: str, token: str, accept: Callable[[Any], Any]) -> Callable[[], tuple[Any, str]]:
        """A probe that GETs ``path`` and accepts the body when ``accept(body)`` is truthy."""
        def probe() -> tuple[Any, str]:
            response = self.gateway.call("GET", path, token, expect=range(200, 600))
            if response.status_code != 200:
                return None, describe(response)
            body = response.json()
            return accept(body), json.dumps(body, ensure_ascii=False)[:400]
        return probe

    def _officer(self) -> str:
        return self.staff["dnv_officer"].token

    def _case(self) -> dict[str, Any]:
        return self.gateway.get(f"cases/{self.case_id}", self._officer(), what="de zaak bekijken (DNV)")

    def _wait_for_case(self, state: str, expected: str) -> dict[str, Any]:
        return self._poll(expected, self._probe(f"cases/{self.case_id}", self._officer(),
                                                lambda case: case if case["state"] == state else None))

    def _pay(self, kind: str) -> dict[str, Any]:
        """The jobcoach's invoice of ``kind`` appears; the payment provider reports it paid (signed)."""
        token = self.coach.token
        invoice = self._poll(f"een open factuur ({kind}) bij de jobcoach", self._probe(
            f"invoices?kind={kind}", token,
            lambda page: next((i for i in page["items"] if i["state"] == "open"), None)))
        body = json.dumps({
            "id": f"evt_demo_{uuid.uuid4().hex}", "type": "payment.succeeded",
            "invoice_number": invoice["number"], "amount": invoice["gross"]["amount"],
            "currency": invoice["gross"]["currency"], "paid_at": datetime.now(UTC).isoformat(),
        }).encode()
        answer = self.gateway.call(
            "POST", "payments/webhook", data=body,
            headers={"Content-Type": "application/json",
                     "X-Signature": sign_webhook(self.config.webhook_secret, body)},
            what=f"betaling van factuur {invoice['number']} via de webhook (ondertekend)").json()
        if answer.get("status") != "paid":
            raise StepFailed(f"de webhook markeert factuur {invoice['number']} als betaald",
                             json.dumps(answer))
        paid = self._poll(f"factuur {invoice['number']} betaald", self._probe(
            f"invoices/{invoice['id']}", token, lambda i: i if i["state"] == "paid" else None))
        return paid

    # --- 1-3: accounts -----------------------------------------------------------------------------------

    def register(self) -> list[str]:
        number = str(secrets.randbelow(90_000_000) + 10_000_000)
        name = f"{secrets.choice(FIRST_NAMES)} {secrets.choice(LAST_NAMES)}"
        address = f"demo.{self.tag}@example.org"
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        self.gateway.call("POST", "accounts", expect=(202,), what="registreren als jobcoach", json={
            "email": address, "full_name": name, "password": password, "membership_number": number,
        })
        # The jobcoach opens the link in the confirmation e-mail, which the SMTP sink keeps as a file.
        token = self._poll(f"de bevestigingsmail aan {address} in {self.config.mail_dir}",
                           lambda: _link_token(self.config.mail_dir, address))
        account = self.gateway.call("POST", "accounts/verify-email", expect=(200,),
                                    what="e-mailadres bevestigen met de link",
                                    json={"token": token, "password": password}).json()
        self.password = password
        self.facts.update(jobcoach_email=address, membership_number=number, jobcoach_name=name,
                          jobcoach_id=account["id"])
        return [f"{name} <{address}> met Noloc-lidnummer {number}, e-mailadres bevestigd met de link"]

    def log_in_jobcoach(self) -> list[str]:
        session, _ = log_in(self.gateway, self.facts["jobcoach_email"], self.password)
        if not session.enrolled_now:
            raise StepFailed("de eerste login koppelt een authenticator-app (QR-code in stap 1)",
                             "stap 1 vroeg om een code van een al gekoppelde app")
        if len(session.recovery_codes) != 10:
            raise StepFailed("10 herstelcodes bij het koppelen",
                             f"{len(session.recovery_codes)} herstelcodes")
        self.coach = session
        return ["stap 1 gaf de QR-code (otpauth://totp/...), de app-code opende stap 2",
                f"{len(session.recovery_codes)} herstelcodes ontvangen, eenmalig getoond"]

    def log_in_staff(self) -> list[str]:
        accounts = {entry["role"]: entry for entry in self.config.seed.get("accounts", [])}
        missing = [role for role in STAFF_ROLES if role not in accounts]
        if missing:
            raise StepFailed("de demo-medewerkers in de seed (python -m recert_identity seed-demo)",
                             f"geen account voor {', '.join(missing)}")
        names, hows = [], {}
        for role in STAFF_ROLES:
            account = accounts[role]
            try:
                session, _ = log_in(self.gateway, account["email"], account["password"], keyring=self.keyring)
                how = "app gekoppeld bij de eerste login" if session.enrolled_now else "met de bewaarde app"
            except UnknownAuthenticator:
                if role == "noloc_admin":
                    raise
                # Someone linked their own app to this demo account: the admin unlinks it, the demo links one.
                self.gateway.call("POST", f"admin/accounts/{account['account_id']}/totp-reset",
                                  self.staff["noloc_admin"].token, json={},
                                  what=f"de app van {account['email']} ontkoppelen (beheerder)")
                self.keyring.forget(account["email"])
                session, _ = log_in(self.gateway, account["email"], account["password"], keyring=self.keyring)
                how = "onbekende app ontkoppeld door de beheerder, nieuwe gekoppeld"
            if role not in session.account.get("roles", []):
                raise StepFailed(f"{account['email']} heeft de rol {role}", json.dumps(session.account))
            self.staff[role] = session
            names.append(f"{ROLE_NAMES[role]} {session.name}")
            hows[ROLE_NAMES[role]] = how
        usual = max(hows.values(), key=list(hows.values()).count)
        lines = [f"{', '.join(names)} ingelogd", f"{usual} (TOTP-geheimen in {self.keyring.path.name})"]
        lines += [f"behalve {who}: {how}" for who, how in hows.items() if how != usual]
        return lines

    # --- 4-8: the portfolio ------------------------------------------------------------------------------

    def import_certificate(self) -> list[str]:
        valid_until = today() + timedelta(days=DAYS_BEFORE_EXPIRY)
        number = f"RJ-DEMO-{self.tag.upper()}"
        csv = f"noloc_number,certificate_number,valid_until,email,name\n{self.facts['membership_number']}," \
              f"{number},{valid_until.isoformat()},{self.facts['jobcoach_email']},{self.facts['jobcoach_name']}\n"
        result = self.gateway.call("POST", "certificates/import", self.staff["noloc_admin"].token,
                                   data=csv.encode(), headers={"Content-Type": "text/csv"},
                                   what="het certificaat laden per CSV (beheerder)").json()
        if result.get("created") != 1:
            raise StepFailed("1 nieuw certificaat uit de CSV", json.dumps(result))
        self.facts.update(certificate_number=number, valid_until=valid_until)
        cycle = self._poll("de hercertificeringscyclus van de jobcoach in het portfolio", self._probe(
            "portfolio/cycles/current", self.coach.token, lambda body: body))
        if cycle["expires_on"] != valid_until.isoformat() or not cycle["window_open_today"]:
            raise StepFailed(f"een cyclus tot {valid_until} met het indienvenster open",
                             f"expires_on {cycle['expires_on']}, venster open: {cycle['window_open_today']}")
        return [f"{number} geldig tot en met {_dutch_date(valid_until)} geladen door de beheerder",
                f"cyclus open, indienen kan van {_dutch_date(cycle['window_opens_on'])} t/m "
                f"{_dutch_date(cycle['submit_by'])}"]

    def record_pe(self) -> list[str]:
        token = self.coach.token
        self.facts["pe_activity_ids"] = []
        for category, title, provider, amount, unit, days_ago in PE_PLAN:
            activity = self.gateway.call("POST", "pe/activities", token, expect=(201,), json={
                "title": title, "provider": provider, "category": category, "amount": amount, "unit": unit,
                "completed_on": (today() - timedelta(days=days_ago)).isoformat(),
            }, what=f"PE-activiteit '{title}' registreren").json()
            filename = f"bewijs-{len(self.facts['pe_activity_ids']) + 1}.pdf"
            self.gateway.call("POST", f"pe/activities/{activity['id']}/evidence", token, expect=(201,),
                              data=small_pdf(f"Certificaat van deelname: {title} ({self.tag})"),
                              headers=_upload_headers(filename), what=f"bewijs bij '{title}' uploaden")
            self.facts["pe_activity_ids"].append(activity["id"])
        summary = self.gateway.get("pe/summary", token, what="het PE-overzicht")
        if not summary["met"]:
            raise StepFailed("het PE-overzicht zegt: voldaan",
                             json.dumps(summary["missing"], ensure_ascii=False))
        counted = ", ".join(f"cat. {c['number']}: {c['counted']}" for c in summary["categories"]
                            if Decimal(c["counted"]))
        return [f"{summary['counted_total']} punten geregistreerd ({counted}), bewijs bij elke activiteit",
                f"overzicht: voldaan (minimaal {summary['required_total']})"]

    def write_parts(self) -> list[str]:
        token = self.coach.token
        saved = {}
        for part in ("A1", "A2", "A4"):
            a1_declarations = {"executive_jobcoach_declared": True,
                               "currently_executive_jobcoach_declared": True}
            body = {"text": TEXTS[part], **(a1_declarations if part == "A1" else {})}
            saved[part] = self.gateway.call("PUT", f"portfolio/cycles/current/parts/{part}", token, json=body,
                                            what=f"{part} opslaan").json()
        if not (saved["A1"].get("executive_jobcoach_declared")
                and saved["A1"].get("currently_executive_jobcoach_declared")):
            raise StepFailed("A1 met de verklaringen 'uitvoerend jobcoach in de afgelopen vier jaar' en "
                             "'nu uitvoerend jobcoach'", json.dumps(saved["A1"]))
        declared_at = saved["A1"]["executive_jobcoach_declared_at"]
        return [f"A1 met beide verklaringen (aangevinkt om {declared_at[11:19]} UTC), A2 en A4 opgeslagen"]

    def reflect(self) -> list[str]:
        token = self.coach.token
        readiness = self.gateway.get("portfolio/cycles/current/readiness", token, what="de readiness-check")
        required = readiness["required_reflection_meetings"]
        meetings = []
        for n in range(required):
            kind = MEETING_KINDS[n % len(MEETING_KINDS)]
            met_on = today() - timedelta(days=30 + 45 * n)
            meeting = self.gateway.call(
                "POST", "portfolio/cycles/current/meetings", token, expect=(201,),
                json={"met_on": met_on.isoformat(), "kind": kind, "group_name": MEETING_GROUP},
                what=f"reflectiebijeenkomst {n + 1} toevoegen").json()
            proof = self.gateway.call(
                "POST", f"portfolio/meetings/{meeting['id']}/proof", token, expect=(201,),
                data=small_pdf(f"Presentielijst {MEETING_NAMES[kind]} {met_on} ({self.tag})"),
                headers=_upload_headers(f"presentielijst-{n + 1}.pdf"),
                what=f"bewijs van bijeenkomst {n + 1} uploaden").json()
            if not proof.get("proven"):
                raise StepFailed(f"bijeenkomst {n + 1} bewezen na de upload", json.dumps(proof))
            meetings.append(meeting)
        about = meetings[0]
        self.facts["a3_meeting_id"] = about["id"]
        self.gateway.call("PUT", "portfolio/cycles/current/parts/A3", token, what="A3 opslaan",
                          json={"text": TEXTS["A3"], "meeting_id": about["id"]})

        def ready() -> tuple[Any, str]:
            body = self.gateway.get("portfolio/cycles/current/readiness", token, what="de readiness-check")
            missing = {part: [m["message"] for m in value["missing"]] for part, value in body["parts"].items()
                       if value["missing"]}
            return (body if body["ready"] and body["can_submit_today"] else None), \
                f"ready={body['ready']}, ontbreekt: {json.dumps(missing, ensure_ascii=False)}"
        readiness = self._poll("readiness: klaar om in te dienen", ready)
        return [f"{required} reflectiebijeenkomsten met bewijs; A3 over de "
                f"{MEETING_NAMES[about['kind']]} van {_dutch_date(about['met_on'])}",
                f"readiness: klaar om in te dienen ({readiness['proven_reflection_meetings']} bijeenkomsten "
                f"bewezen, PE {readiness['pe']['counted_total']}/{readiness['pe']['required_total']})"]

    def submit(self) -> list[str]:
        submission = self.gateway.call("POST", "portfolio/cycles/current/submit", self.coach.token,
                                       expect=(201,), what="het portfolio indienen").json()
        self.facts.update(submission_id=submission["id"], snapshot_hash=submission["snapshot_hash"])
        case = self._poll("een beoordelingszaak voor DNV", self._probe(
            f"cases?account_id={self.coach.id}", self._officer(),
            lambda page: next((c for c in page["items"] if c["submission_id"] == submission["id"]), None)))
        self.case_id = self.facts["case_id"] = case["id"]
        if case["state"] != "opened":
            raise StepFailed("de zaak staat open voor de PE-toets", f"state {case['state']}")
        return [f"ingediend, snapshot-hash {submission['snapshot_hash'][:16]}...",
                f"DNV ziet zaak {_short(case['id'])} (open, uitslag uiterlijk {_dutch_date(case['due_on'])})"]

    # --- 9-15: DNV and the assessor ----------------------------------------------------------------------

    def pe_check(self) -> list[str]:
        def complete(view: dict[str, Any]) -> dict[str, Any] | None:
            # The activities reach assessment by events: all known, each with its evidence.
            known = view["activities"] and not view["unknown_activity_ids"] and all(
                a["known"] and a["evidence"] for a in view["activities"])
            return view if known and view["rules_met"] else None
        view = self._poll("de PE-toets toont elke activiteit met bewijs en de regels voldaan", self._probe(
            f"cases/{self.case_id}/pe-check", self._officer(), complete))
        done = self.gateway.call("POST", f"cases/{self.case_id}/pe-check", self._officer(),
                                 json={"passed": True}, what="de PE-toets afronden (DNV)").json()
        if not (done.get("completed") or {}).get("passed"):
            raise StepFailed("PE-toets geslaagd", json.dumps(done.get("completed")))
        return [f"DNV: {view['counted_total']} van {view['required_total']} punten geteld, "
                f"{len(view['activities'])} activiteiten elk met bewijs: geslaagd"]

    def pay_recertification(self) -> list[str]:
        invoice = self._pay("recertification")
        case = self._wait_for_case("ready_for_assignment", "de zaak klaar voor toewijzing na de betaling")
        return [f"factuur {invoice['number']} ({_money(invoice['gross'])}) betaald via de webhook",
                f"zaak {_short(case['id'])} klaar voor toewijzing"]

    def assign(self) -> list[str]:
        assessor = self.staff["assessor"]
        case = self.gateway.call("POST", f"cases/{self.case_id}/assessor", self._officer(),
                                 json={"assessor_id": assessor.id},
                                 what=f"{assessor.name} als beoordelaar toewijzen (DNV)").json()
        if case["state"] != "assigned" or case["assessor_id"] != assessor.id:
            raise StepFailed(f"zaak toegewezen aan {assessor.name}",
                             f"state {case['state']}, beoordelaar {case['assessor_id']}")
        snapshot = self._poll("de beoordelaar kan de ingediende snapshot lezen", self._probe(
            f"portfolio/submissions/{self.facts['submission_id']}", assessor.token, lambda body: body))
        if not snapshot["hash_verified"] or snapshot["snapshot_hash"] != self.facts["snapshot_hash"]:
            raise StepFailed("de snapshot van de indiening, hash klopt",
                             f"hash {snapshot['snapshot_hash']}, verified {snapshot['hash_verified']}")
        return [f"DNV wijst {assessor.name} toe; die leest de snapshot (hash klopt)"]

    def _form(self, advice: str) -> dict[str, Any]:
        a3 = ("does_not_meet", "De reflectie blijft beschrijvend: wat deed je anders, en waarom?") \
            if advice == "postponed" else ("meets", "De aanvulling laat echte reflectie zien.")
        form = {
            "parts": {"A1": {"verdict": "meets", "findings": "Het cv is helder; de verklaring is afgegeven."},
                      "A3": {"verdict": a3[0], "findings": a3[1]},
                      "B": {"verdict": "meets", "findings": "75 PE-punten, categorie 1 boven het minimum."}},
            "feedback": {"A2": "Goede terugblik.", "A4": "Maak het plan concreet met een tijdpad."},
            "development_advice": "Zoek supervisie op je eigen handelen bij weerstand van cliënten.",
            "advice": advice,
        }
        if advice == "postponed":
            form["supplements"] = [{"part": "A3", "assignment": TEXTS["A3 assignment"]}]
        return form

    def postponed_advice(self) -> list[str]:
        """The advice is internal to DNV: it opens nothing for the jobcoach until DNV decides."""
        given = self.gateway.call("POST", f"cases/{self.case_id}/advice", self.staff["assessor"].token,
                                  expect=(201,), json=self._form("postponed"),
                                  what="het beoordelingsformulier met advies uitgesteld").json()
        case = self._case()
        if case["state"] != "advised":
            raise StepFailed("de zaak wacht op het besluit van DNV", f"state {case['state']}")
        self.gateway.call("GET", "portfolio/cycles/current/supplement", self.coach.token, expect=(404,),
                          what="nog geen aanvulling voor de jobcoach")
        parts = ", ".join(s["part"] for s in given["supplements"])
        return [f"beoordelaar: uitgesteld, stelt een aanvullende opdracht voor {parts} voor",
                "het advies blijft bij DNV: de jobcoach krijgt nog niets te zien"]

    def postponed_decision(self) -> list[str]:
        """DNV's postponed decision opens the supplement: 3 months from the decision date."""
        decision = self.gateway.call("POST", f"cases/{self.case_id}/decision", self._officer(), expect=(201,),
                                     json={"decision": "postponed"}, what="DNV besluit: uitgesteld").json()
        case = self._case()
        if case["state"] != "supplement_due":
            raise StepFailed("de zaak wacht op de aanvulling", f"state {case['state']}")
        expected = _add_months(date.fromisoformat(decision["decided_on"]), 3)
        if decision["supplement_due_on"] != expected.isoformat():
            raise StepFailed(f"aanvulling uiterlijk {expected} (3 maanden na het besluit)",
                             f"supplement_due_on {decision['supplement_due_on']}")
        return [f"DNV besluit uitgesteld op {_dutch_date(decision['decided_on'])}",
                f"de jobcoach krijgt de opdracht voor A3; aanvulling uiterlijk "
                f"{_dutch_date(decision['supplement_due_on'])} (3 maanden na het besluit)"]

    def supplement(self) -> list[str]:
        token = self.coach.token
        supplement = self._poll("de aanvullende opdracht in het portfolio van de jobcoach", self._probe(
            "portfolio/cycles/current/supplement", token, lambda body: body))
        if supplement["parts"] != ["A3"]:
            raise StepFailed("een aanvulling op A3, zoals DNV besloot", json.dumps(supplement))
        self.gateway.call("PUT", "portfolio/cycles/current/supplement/parts/A3", token,
                          what="A3 herzien voor de aanvulling", json={"text": TEXTS["A3 revised"]})
        submitted = self.gateway.call("POST", "portfolio/cycles/current/supplement/submit", token,
                                      expect=(201,), what="de aanvulling indienen").json()
        return ["A3 herschreven volgens de opdracht en ingediend "
                f"(hash {submitted['snapshot_hash'][:16]}...)"]

    def pay_reassessment(self) -> list[str]:
        invoice = self._pay("reassessment")
        self._wait_for_case("reassessing", "de zaak terug bij de beoordelaar na de betaling")
        return [f"factuur {invoice['number']} voor de herbeoordeling ({_money(invoice['gross'])}) betaald",
                "de zaak ligt weer bij de beoordelaar"]

    def positive_decision(self) -> list[str]:
        given = self.gateway.call("POST", f"cases/{self.case_id}/advice", self.staff["assessor"].token,
                                  expect=(201,), json=self._form("positive"),
                                  what="de herbeoordeling met advies positief").json()
        decision = self.gateway.call("POST", f"cases/{self.case_id}/decision", self._officer(), expect=(201,),
                                     json={"decision": "positive"}, what="DNV besluit: positief").json()
        if given["round"] != 2 or not decision["follows_advice"]:
            raise StepFailed("een tweede ronde en een besluit dat het advies volgt",
                             f"ronde {given['round']}, volgt advies: {decision['follows_advice']}")
        return [f"beoordelaar: positief (ronde {given['round']}); "
                f"DNV besluit positief op {_dutch_date(decision['decided_on'])}"]

    # --- 16-17: the result -------------------------------------------------------------------------------

    def renewed_certificate(self) -> list[str]:
        old = self.facts["valid_until"]
        new = add_years(old, VALIDITY_YEARS)
        self.facts["renewed_until"] = new
        tile = self._poll(f"de certificaattegel geldig tot {new}", self._probe(
            "certificates/mine", self.coach.token,
            lambda body: body if (body["valid_until"], body["state"]) == (str(new), "active") else None))
        if tile["valid_from"] != old.isoformat():
            raise StepFailed(f"het verlengde certificaat loopt vanaf de oude einddatum {old}",
                             f"valid_from {tile['valid_from']}")
        number = self.facts["certificate_number"]
        found = self.gateway.get(f"register?q={number}", what="het openbare register (zonder login)")
        entry = next((e for e in found["items"] if e["certificate_number"] == number), None)
        if entry is None or entry["state"] != "active" or entry["valid_until"] != new.isoformat():
            raise StepFailed(f"het register toont {number} actief tot {new}", json.dumps(found))
        return [f"tegel: {tile['certificate_number']} geldig van {_dutch_date(tile['valid_from'])} "
                f"tot en met {_dutch_date(tile['valid_until'])} (oude einddatum + {VALIDITY_YEARS} jaar)",
                f"openbaar register (zonder login): {entry['name']}, {entry['certificate_number']}, "
                f"actief tot en met {_dutch_date(entry['valid_until'])}"]

    def mails(self) -> list[str]:
        """The e-mails the jobcoach received, read from the SMTP sink's folder (the in-app inbox when the
        folder is not there): every message goes out by e-mail and in the inbox alike."""
        token = self.coach.token
        inbox = self._poll("het bericht 'certificaat verlengd' in de inbox van de jobcoach", self._probe(
            "messages?page_size=100", token,
            lambda page: page["items"] if any(m["template"] == "certificate_renewed" for m in page["items"])
            else None))
        if not self.config.mail_dir.is_dir():
            subjects = [m["subject"] for m in sorted(inbox, key=lambda m: m["created_at"])]
            return [f"{len(subjects)} berichten in de inbox (map {self.config.mail_dir} niet gevonden):",
                    *[f"  {subject}" for subject in subjects]]
        address = self.facts["jobcoach_email"]
        # Every inbox message also goes out by e-mail, but some e-mails have no inbox message (the link to
        # confirm the address): wait for the inbox's subjects themselves, not for as many e-mails.
        expected = [m["subject"] for m in inbox]
        mails = self._poll(f"de {len(expected)} berichten van de inbox als e-mail aan {address} in "
                           f"{self.config.mail_dir}",
                           lambda: _mails_to(self.config.mail_dir, address, including=expected))
        return [f"{len(mails)} e-mails aan {address}:", *[f"  {subject}" for subject in mails]]


def _link_token(directory: Path, address: str) -> tuple[str | None, str]:
    """The token of the newest link e-mailed to ``address`` (``...?token=...``), from the sink's files."""
    if not directory.is_dir():
        return None, f"map {directory} niet gevonden"
    found = []
    for path in directory.glob("*.eml"):
        try:
            message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
            recipients = [a.addr_spec.lower() for a in message["To"].addresses] if message["To"] else []
            text = message.get_body(preferencelist=("plain",)).get_content()
        except (OSError, ValueError, AttributeError, KeyError):
            continue  # being written, or not one of ours
        match = re.search(r"\?token=([A-Za-z0-9_-]+)", text)
        if address.lower() in recipients and match:
            found.append((path.stat().st_mtime_ns, match.group(1)))
    return (max(found)[1] if found else None), f"{len(found)} e-mails met een link"


def _mails_to(directory: Path, address: str, *, including: list[str]) -> tuple[list[str] | None, str]:
    """The subjects of the e-mails to ``address`` in sending order, once every subject of ``including`` is
    among them (as often as it is in ``including``)."""
    found = []
    for path in directory.glob("*.eml"):
        try:
            message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
            recipients = [a.addr_spec.lower() for a in message["To"].addresses] if message["To"] else []
        except (OSError, ValueError, AttributeError):
            continue  # being written, or not one of ours
        if address.lower() in recipients:
            sent = message["Date"].datetime if message["Date"] else datetime.fromtimestamp(0, UTC)
            found.append((sent, path.stat().st_mtime_ns, str(message["Subject"])))
    found.sort()
    subjects = [subject for _, _, subject in found]
    return (subjects if Counter(including) <= Counter(subjects) else None), f"{len(subjects)} e-mails"
