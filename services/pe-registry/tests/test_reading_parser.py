"""The reading of evidence (ADR 0027) on text: the hard cases of amounts, units and dates pinned."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recert_pe_registry.reading import find_amount, find_date, find_provider, find_title, propose

TODAY = date(2026, 12, 6)


def amount(text: str) -> tuple[Decimal, str] | None:
    found = find_amount(text, 2026)
    return (found.amount, found.unit) if found else None


@pytest.mark.parametrize(("text", "expected"), [
    ("Studiebelasting: 3 uur", (Decimal(3), "sbu")),
    ("Studiebelasting: 2,5 uur", (Decimal("2.5"), "sbu")),  # the Dutch decimal comma
    ("Duration: 2.5 hours", (Decimal("2.5"), "sbu")),
    ("Omvang: 4 SBU", (Decimal(4), "sbu")),
    ("Deze cursus omvat 3 studiebelastingsuren.", (Decimal(3), "sbu")),
    ("Study load: 6 study-load hours", (Decimal(6), "sbu")),
    ("SBU: 4", (Decimal(4), "sbu")),
    ("Duur: 90 minuten", (Decimal("1.5"), "sbu")),  # minutes become hours
    ("Duration: 45 minutes", (Decimal("0.75"), "sbu")),
    ("Omvang: 1 EC", (Decimal(1), "ects")),  # EC is the Dutch short form of an ECTS credit
    ("Omvang: 2 ECTS", (Decimal(2), "ects")),
    ("Worth 2,5 ECTS credits", (Decimal("2.5"), "ects")),
    ("Deze training levert 6 PE-punten op.", (Decimal(6), "points")),
    ("Credits: 4 PE points", (Decimal(4), "points")),
])
def test_amounts_are_read_as_people_write_them(text, expected):
    assert amount(text) == expected


def test_ects_is_not_read_as_ec_and_ec_is_not_read_inside_other_words():
    assert amount("Omvang: 3 ECTS") == (Decimal(3), "ects")
    assert amount("Locatie: 3 Electronweg, Utrecht. Studiebelasting: 2 uur") == (Decimal(2), "sbu")


def test_clock_times_are_not_amounts():
    assert amount("Tijd: 13.00 - 16.30 uur\nStudiebelasting: 3 uur") == (Decimal(3), "sbu")
    assert amount("Aanvang om 14.00 uur, duur 90 minuten") == (Decimal("1.5"), "sbu")
    assert amount("Time: 13:00 - 16:30") is None


def test_a_range_proposes_its_lower_end():
    assert amount("Studiebelasting: 2-3 uur") == (Decimal(2), "sbu")
    assert amount("Studiebelasting: 2 tot 3 uur") == (Decimal(2), "sbu")


def test_points_that_only_convert_another_figure_do_not_replace_it():
    assert amount("Omvang: 1 EC (28 PE-punten)") == (Decimal(1), "ects")
    assert amount("4 SBU, goed voor 4 PE-punten") == (Decimal(4), "sbu")
    # Points that are not a conversion are the claim.
    assert amount("Accreditatie: 6 PE-punten\nDuur: 3 uur") == (Decimal(6), "points")


def test_a_labelled_amount_wins_over_a_loose_one():
    assert amount("De pauze duurt 1 uur.\nStudiebelasting: 3 uur") == (Decimal(3), "sbu")


@pytest.mark.parametrize(("text", "expected"), [
    ("Datum: 15 maart 2026", date(2026, 3, 15)),
    ("Datum: 15 mrt 2026", date(2026, 3, 15)),
    ("Datum: 15-03-2026", date(2026, 3, 15)),
    ("Date: 15/03/2026", date(2026, 3, 15)),
    ("held on March 15, 2026", date(2026, 3, 15)),
    ("held on 15 March 2026", date(2026, 3, 15)),
    ("Datum: 2026-03-15", date(2026, 3, 15)),
    ("on 03/25/2026", date(2026, 3, 25)),  # a month over 12 can only be the American order
])
def test_dates_are_read_in_each_way_they_are_written(text, expected):
    assert find_date(text) == expected


def test_of_two_dates_the_activity_date_wins_over_the_date_of_issue():
    assert find_date("Datum: 12 maart 2026\nUtrecht, 20 maart 2026") == date(2026, 3, 12)
    assert find_date("Afgegeven op 20-03-2026\nDatum training: 1 maart 2026") == date(2026, 3, 1)
    assert find_date("Issued on March 20, 2026. Held on March 12, 2026.") == date(2026, 3, 12)
    assert find_date("Date of issue: 2026-03-20\nCourse date: 2026-03-12") == date(2026, 3, 12)


def test_a_date_range_proposes_its_last_day():
    assert find_date("Data: 14 en 15 maart 2026") == date(2026, 3, 15)
    assert find_date("Datum: 14-15 maart 2026") == date(2026, 3, 15)
    assert find_date("held on March 14-15, 2026") == date(2026, 3, 15)


def test_impossible_dates_are_not_proposed():
    assert find_date("Datum: 31-02-2026") is None


def test_title_and_provider_from_labels_phrases_quotes_and_the_letterhead():
    certificate = ("Academie Noord\nCertificaat van deelname\nHierbij verklaren wij dat\nJan de Vries\n"
                   "heeft deelgenomen aan de training\nOplossingsgericht coachen\nDatum: 3 juni 2026\n")
    assert find_title(certificate) == "Oplossingsgericht coachen"
    assert find_provider(certificate) == "Academie Noord"
    statement = ('Anna Smit has successfully completed the course "Resilience at\nwork" on 2026-09-10.\n'
                 "Provider: Career Institute\n")
    assert find_title(statement) == "Resilience at work"  # quoted, though the page wrapped it
    assert find_provider(statement) == "Career Institute"
    mail = ("From: Stichting Werkwijzer <info@werkwijzer.example>\nSubject: Bevestiging van je deelname: "
            "Werken met de Participatiewet\n\nBeste Jan,\n")
    assert find_title(mail) == "Werken met de Participatiewet"
    assert find_provider(mail) == "Stichting Werkwijzer"


def test_a_proposal_carries_the_points_and_never_guesses_a_category():
    proposal = propose("Academie Noord\nBewijs van deelname\nDatum: 15 maart 2026\nOmvang: 1 EC\n", TODAY)
    assert (proposal.completed_on, proposal.amount, proposal.unit) == (
        date(2026, 3, 15), Decimal(1), "ects")
    assert proposal.points == Decimal(28)  # 1 ECTS = 28 PE points
    assert proposal.category is None


def test_a_text_without_facts_proposes_nothing_rather_than_guessing():
    proposal = propose("Hallo,\n\nTot ziens!\n", TODAY)
    assert proposal.completed_on is None and proposal.amount is None
    assert proposal.unit is None and proposal.points is None
