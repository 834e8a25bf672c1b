"""The readiness check names, per part, what is still missing until nothing is."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

from recert_portfolio.domain import Part
from recert_portfolio.readiness import assess

EXPIRES = date(2027, 6, 30)  # a 2027 certificate: 4 reflection meetings


def _full_pe(build, cycle):
    return [build.activity(cycle.starts_on + timedelta(days=30), "45", "1"),
            build.activity(cycle.starts_on + timedelta(days=60), "30", "training_in_field")]


def _meetings(build, cycle, count, **kwargs):
    return [build.meeting(cycle, cycle.starts_on + timedelta(days=10 * (i + 1)), **kwargs)
            for i in range(count)]


def test_an_empty_portfolio_misses_something_in_every_part(build):
    cycle = build.cycle(expires_on=EXPIRES)
    result = assess(cycle, {}, [], [])
    assert not result.ready
    assert result.missing_codes == {
        "A1": ["a1_text_missing", "a1_declaration_missing", "a1_current_declaration_missing"],
        "A2": ["a2_text_missing"],
        "A3": ["a3_report_missing", "a3_report_meeting_missing", "a3_meetings_missing"],
        "A4": ["a4_text_missing"],
        "B": ["pe_category_minimum", "pe_total"],
    }
    meetings = next(m for m in result.part("A3").missing if m.code == "a3_meetings_missing")
    assert dict(meetings.params) == {"required": 4, "proven": 0, "short": 4, "expiry_year": 2027}
    assert "2027" in meetings.message.render("nl") and "4" in meetings.message.render("nl")
    assert meetings.message.render("en").startswith("4 more reflection meetings with proof needed")


def test_the_required_number_of_meetings_depends_on_the_expiry_year(build):
    for expires_on, required in ((date(2024, 3, 1), 1), (date(2025, 3, 1), 2), (date(2026, 3, 1), 3)):
        cycle = build.cycle(certified_on=expires_on.replace(year=expires_on.year - 4), expires_on=expires_on)
        result = assess(cycle, {}, [], [])
        assert result.required_meetings == required
        missing = next(m for m in result.part("A3").missing if m.code == "a3_meetings_missing")
        assert missing.params["required"] == required


def test_a_complete_portfolio_is_ready(build):
    cycle = build.cycle(expires_on=EXPIRES)
    meetings = _meetings(build, cycle, 4, noloc=True)
    result = assess(cycle, build.complete_parts(meetings[0]), meetings, _full_pe(build, cycle))
    assert result.ready, result.missing_codes
    assert result.proven_meetings == 4 and result.pe.counted_total == Decimal(75)


def test_each_missing_piece_alone_makes_it_not_ready(build):
    cycle = build.cycle(expires_on=EXPIRES)
    meetings = _meetings(build, cycle, 4, noloc=True)
    parts = build.complete_parts(meetings[0])
    pe = _full_pe(build, cycle)
    cases = {
        "a1_declaration_missing": ({**parts, "A1": dataclasses.replace(parts["A1"], declared_at=None)},
                                   meetings, pe),
        "a1_current_declaration_missing": (
            {**parts, "A1": dataclasses.replace(parts["A1"], works_now_declared_at=None)}, meetings, pe),
        "a2_text_missing": ({**parts, "A2": Part("A2", "   \n")}, meetings, pe),
        "a3_report_meeting_missing": ({**parts, "A3": dataclasses.replace(parts["A3"], meeting_id=None)},
                                      meetings, pe),
        "a3_meetings_missing": (parts, meetings[:3], pe),
        "a4_text_missing": ({k: v for k, v in parts.items() if k != "A4"}, meetings, pe),
        "pe_total": (parts, meetings, pe[:1]),
    }
    for code, (these_parts, these_meetings, activities) in cases.items():
        result = assess(cycle, these_parts, these_meetings, activities)
        assert not result.ready
        assert [c for codes in result.missing_codes.values() for c in codes] == [code]


def test_a_meeting_without_proof_does_not_count_and_is_named(build):
    cycle = build.cycle(expires_on=EXPIRES)
    meetings = _meetings(build, cycle, 3, noloc=True) + _meetings(build, cycle, 1)
    result = assess(cycle, build.complete_parts(meetings[0]), meetings, _full_pe(build, cycle))
    assert result.proven_meetings == 3
    codes = [m.code for m in result.part("A3").missing]
    assert codes == ["a3_meetings_missing", "a3_proof_missing"]
    assert result.part("A3").missing[1].params == {"meeting_id": str(meetings[3].id)}

    proven = meetings[:3] + [dataclasses.replace(meetings[3], proof=build.proof())]
    assert assess(cycle, build.complete_parts(meetings[0]), proven, _full_pe(build, cycle)).ready


def test_the_report_must_be_about_a_listed_meeting(build):
    cycle = build.cycle(expires_on=EXPIRES)
    meetings = _meetings(build, cycle, 4, noloc=True)
    elsewhere = build.meeting(build.cycle(), cycle.starts_on, noloc=True)
    result = assess(cycle, build.complete_parts(elsewhere), meetings, _full_pe(build, cycle))
    assert result.missing_codes == {"A3": ["a3_report_meeting_missing"]}


def test_pe_counts_only_the_cycles_period_and_known_categories(build):
    cycle = build.cycle(expires_on=EXPIRES)
    before = build.activity(cycle.starts_on - timedelta(days=1), "50", "1")
    inside = build.activity(cycle.starts_on, "20", "1")
    other = build.activity(cycle.starts_on + timedelta(days=5), "15", "3")
    unknown = build.activity(cycle.starts_on + timedelta(days=6), "40", "no-such-category")
    result = assess(cycle, {}, [], [before, inside, other, unknown])
    assert result.pe.counted_total == Decimal(35)
    assert [a.activity_id for a in result.pe_activities] == [inside.activity_id, other.activity_id,
                                                             unknown.activity_id]
    assert result.uncountable_activity_ids == (str(unknown.activity_id),)
    b = result.part("B").missing
    assert [m.code for m in b] == ["pe_category_minimum", "pe_total"]
    assert b[0].message.render("nl") == "Nog 10 punten in categorie 1 nodig."
    assert b[0].message.render("en") == "10 more points needed in category 1."


def test_category_maxima_apply(build):
    cycle = build.cycle(expires_on=EXPIRES)
    activities = [build.activity(cycle.starts_on, "30", "1"), build.activity(cycle.starts_on, "60", "2")]
    result = assess(cycle, {}, [], activities)
    assert result.pe.raw_total == Decimal(90)
    assert result.pe.counted_total == Decimal(50)  # category 2 counts at most 20
    assert not result.pe.met


def test_categories_are_read_by_number_or_key(build):
    framework = build.cycle().framework()
    assert framework.pe.category_number("1") == 1
    assert framework.pe.category_number("self_study") == 6
    assert framework.pe.category_number("99") is None


def test_the_reflection_reports_asked_for_come_from_the_framework_data(build):
    cycle = build.cycle(expires_on=EXPIRES)
    meetings = _meetings(build, cycle, 4, noloc=True)
    parts = build.complete_parts(meetings[0])
    framework = cycle.framework()
    assert framework.reflection.required_reports == 1  # the packaged data
    assert assess(cycle, parts, meetings, _full_pe(build, cycle), framework=framework).ready

    reflection = dataclasses.replace(framework.reflection, required_reports=2)
    two = dataclasses.replace(framework, reflection=reflection)
    result = assess(cycle, parts, meetings, _full_pe(build, cycle), framework=two)
    assert result.required_reports == 2 and not result.ready
    [missing] = result.part("A3").missing
    assert (missing.code, dict(missing.params)) == ("a3_report_missing", {"required": 2, "written": 1})
    assert missing.message.render("nl") == "Het toetsingskader vraagt 2 reflectieverslagen; A3 bevat er 1."


def test_activities_without_evidence_do_not_count_and_are_named(build):
    cycle = build.cycle(expires_on=EXPIRES)
    meetings = _meetings(build, cycle, 4, noloc=True)
    bare = build.activity(cycle.starts_on + timedelta(days=90), "10", "1", evidence=())
    from_noloc = build.activity(cycle.starts_on + timedelta(days=91), "3", "1", evidence=(),
                                source="noloc_academy")
    result = assess(cycle, build.complete_parts(meetings[0]), meetings,
                    [*_full_pe(build, cycle)[:1], bare, from_noloc])
    assert result.pe.raw_total == 48  # 45 with a file + 3 from Noloc; the 10 without evidence do not count
    assert [a.activity_id for a in result.unproven_activities] == [bare.activity_id]
    assert bare.activity_id not in {a.activity_id for a in result.pe_activities}
    evidence_items = [m for m in result.part("B").missing if m.code == "pe_evidence_missing"]
    assert [m.params["activity_id"] for m in evidence_items] == [str(bare.activity_id)]
    assert evidence_items[0].message.render("nl").startswith("Bewijs ontbreekt bij 'Cursus'")
