"""Reading the CSV of existing certificate holders: rows, per-line errors, and files that are no such CSV."""
from __future__ import annotations

from datetime import date

import pytest

from recert_assessment.certificate_csv import MalformedCsv, parse_certificate_csv

TODAY = date(2026, 11, 1)


def parse(text: str | bytes):
    return parse_certificate_csv(text.encode() if isinstance(text, str) else text, today=TODAY)


def test_rows_are_read_with_either_separator_and_date_format():
    parsed = parse("noloc_number,certificate_number,valid_until,email,name\n"
                   "1234567,rj-2023-001,2027-06-30,anna@example.org,Anna de Vries\n\n"
                   "EXT-000123 , RJ-2023-002 ,31-12-2027, Bo@Example.org ,  Bo   Bakker \n")
    assert parsed.errors == ()
    assert [(r.line, r.membership_number, r.certificate_number, r.valid_until, r.email, r.name)
            for r in parsed.rows] == [
        (2, "1234567", "RJ-2023-001", date(2027, 6, 30), "anna@example.org", "Anna de Vries"),
        (4, "EXT-000123", "RJ-2023-002", date(2027, 12, 31), "Bo@Example.org", "Bo Bakker")]
    semicolons = parse("\ufeffValid_Until;Name;Noloc_Number;Email;Certificate_Number\r\n"
                       "30-06-2027;Anna;1234567;a@example.org;RJ-1\r\n")
    assert [(r.membership_number, r.certificate_number) for r in semicolons.rows] == [("1234567", "RJ-1")]


def test_the_holders_email_address_and_name_are_required():
    parsed = parse("noloc_number,certificate_number,valid_until,email,name\n"
                   "1234567,RJ-1,2027-06-30,,Anna\n"
                   "1234568,RJ-2,2027-06-30,not-an-address,Anna\n"
                   "1234569,RJ-3,2027-06-30,a@example.org,   \n"
                   f"1234570,RJ-4,2027-06-30,a@example.org,{'x' * 201}\n")
    assert [(e.line, e.field, e.code) for e in parsed.errors] == [
        (2, "email", "required"), (3, "email", "email_invalid"), (4, "name", "required"),
        (5, "name", "too_long")]
    with pytest.raises(MalformedCsv) as refused:
        parse("noloc_number,certificate_number,valid_until\n1234567,RJ-1,2027-06-30\n")
    assert refused.value.params["missing"] == "email, name"


def test_each_wrong_line_is_reported_with_its_field():
    holder = ",a@example.org,Anna"
    parsed = parse("noloc_number,certificate_number,valid_until,email,name\n"
                   f"12,RJ-1,2027-06-30{holder}\n"            # 2: not a Noloc number
                   f"1234567,RJ 2,2027-06-30{holder}\n"       # 3: space in the certificate number
                   f"1234568,RJ-3,2027-02-30{holder}\n"       # 4: no such date
                   f"1234569,RJ-4,2026-10-31{holder}\n"       # 5: expired already
                   "1234570,RJ-5,2027-06-30,a@example.org\n"  # 6: a field short
                   f"1234571,RJ-6,2027-06-30{holder}\n"       # 7: fine
                   f"1234572,rj-6,2027-06-30{holder}\n"       # 8: the same certificate number again
                   f"1234571,RJ-7,2027-06-30{holder}\n"       # 9: the same Noloc number again
                   f",RJ-8,{holder}\n")                       # 10: empty fields
    assert [(e.line, e.field, e.code) for e in parsed.errors] == [
        (2, "noloc_number", "noloc_number_invalid"), (3, "certificate_number", "certificate_number_invalid"),
        (4, "valid_until", "date_invalid"), (5, "valid_until", "date_in_past"), (6, "row", "field_count"),
        (8, "certificate_number", "duplicate_in_file"), (9, "noloc_number", "duplicate_in_file"),
        (10, "noloc_number", "required"), (10, "valid_until", "required")]
    assert [r.line for r in parsed.rows] == [7]
    assert parsed.errors[5].params == {"first_line": 7}


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty"),
    (b"\n  \n", "empty"),
    (b"noloc_number,certificate_number\n1234567,RJ-1\n", "header_columns"),
    (b"noloc_number,certificate_number,valid_until,email,name,nickname\n", "header_columns"),
    (b"noloc_number,noloc_number,valid_until\n", "header_duplicate_columns"),
    (b"noloc_number,certificate_number,valid_until,email,name\n1234567,\xff\xfe,2027-06-30,a@b.nl,A\n",
     "not_utf8"),
    (b"%PDF-1.7\x00\x01", "not_text"),
    (b'noloc_number,certificate_number,valid_until,email,name\n1234567,"RJ-1,2027-06-30,a@b.nl,A\n',
     "unreadable"),
])
def test_a_file_that_is_no_such_csv_is_refused_as_a_whole(data, code):
    with pytest.raises(MalformedCsv) as refused:
        parse(data)
    assert refused.value.code == code


def test_an_optional_column_states_up_to_when_the_register_fee_was_paid():
    parsed = parse("noloc_number;certificate_number;valid_until;email;name;register_fee_paid_until\n"
                   "EXT-000123;RJ-1;2028-09-01;a@example.org;A;2025-08-31\n"
                   "EXT-000124;RJ-2;2028-09-01;b@example.org;B;\n"
                   "EXT-000125;RJ-3;2028-09-01;c@example.org;C;31-12-2025\n"
                   "EXT-000126;RJ-4;2028-09-01;d@example.org;D;31 augustus\n")
    assert [(e.line, e.field, e.code) for e in parsed.errors] == [
        (5, "register_fee_paid_until", "date_invalid")]
    assert [(r.certificate_number, r.register_fee_paid_until) for r in parsed.rows] == [
        ("RJ-1", date(2025, 8, 31)), ("RJ-2", None), ("RJ-3", date(2025, 12, 31))]
    # Without the column: not known.
    plain = parse("noloc_number,certificate_number,valid_until,email,name\n"
                  "1234567,RJ-1,2027-06-30,a@b.nl,A\n")
    assert plain.rows[0].register_fee_paid_until is None
    # With it, a row must have all six fields.
    short = parse("noloc_number,certificate_number,valid_until,email,name,register_fee_paid_until\n"
                  "1234567,RJ-1,2027-06-30,a@b.nl,A\n")
    assert [(e.line, e.code, e.params) for e in short.errors] == [
        (2, "field_count", {"expected": 6, "found": 5})]
