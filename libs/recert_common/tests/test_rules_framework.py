"""Loading the framework files: packaged data, year selection, replacement files, and validation."""
import copy
import json
from decimal import Decimal
from importlib import resources

import pytest

from recert_common.rules import (
    FEE_REGISTER,
    FRAMEWORK_DIR_ENV,
    UNIT_ECTS,
    FrameworkDataError,
    available_frameworks,
    clear_framework_cache,
    fee_amount,
    load_framework,
    parse_framework,
    pe_points,
    pe_summary,
    required_reflection_meetings,
)


@pytest.fixture(autouse=True)
def packaged_only(monkeypatch):
    monkeypatch.delenv(FRAMEWORK_DIR_ENV, raising=False)
    clear_framework_cache()
    yield
    clear_framework_cache()


def packaged_raw(year: int) -> dict:
    text = resources.files("recert_common.rules").joinpath(f"frameworks/{year}.json").read_text("utf-8")
    return json.loads(text)


def write(directory, year: int, raw: dict) -> None:
    (directory / f"{year}.json").write_text(json.dumps(raw), encoding="utf-8")


def test_packaged_years_and_selection_by_year():
    assert sorted(available_frameworks()) == [2023, 2024]
    assert load_framework().year == 2024
    assert load_framework(2023).year == 2023
    assert load_framework(2024).version == "2024.1"
    # Later years use the latest file; earlier years the earliest.
    assert load_framework(2031).year == 2024
    assert load_framework(2019).year == 2023


def test_packaged_categories_are_labelled_as_default_not_official():
    for framework in available_frameworks().values():
        assert framework.pe.categories_official is False
        assert "DEFAULT" in framework.pe.categories_note
        assert framework.identifiers.official is False


def test_replacement_file_in_env_dir_changes_the_numbers(tmp_path, monkeypatch):
    assert pe_points(Decimal(1), UNIT_ECTS) == 28
    assert fee_amount(FEE_REGISTER, 2024).net == Decimal("212.50")
    raw = packaged_raw(2024)
    raw["revision"] = 2
    raw["pe"]["units"]["ects"]["points_per_unit"] = "30"
    raw["fees"]["items"]["register_fee"]["net"] = "250.00"
    raw["pe"]["categories"]["items"][1]["maximum"] = "5"
    write(tmp_path, 2024, raw)
    monkeypatch.setenv(FRAMEWORK_DIR_ENV, str(tmp_path))

    assert load_framework(2024).version == "2024.2"
    assert load_framework(2024).source == str(tmp_path / "2024.json")
    assert pe_points(Decimal(1), UNIT_ECTS) == 30
    fee = fee_amount(FEE_REGISTER, 2024)
    assert (fee.net, fee.vat, fee.gross) == (Decimal("250.00"), Decimal("52.50"), Decimal("302.50"))
    assert pe_summary([(2, Decimal(20))]).category(2).counted == 5
    # The packaged 2023 file still applies: the directory overlays, it does not replace everything.
    assert fee_amount(FEE_REGISTER, 2023).net == Decimal("202.50")


def test_replacement_directory_may_add_a_year(tmp_path):
    raw = packaged_raw(2024)
    raw["year"] = 2026
    raw["reflection"]["required_meetings"][-1]["meetings"] = 5
    write(tmp_path, 2026, raw)
    assert sorted(available_frameworks(directory=tmp_path)) == [2023, 2024, 2026]
    assert load_framework(2025, directory=tmp_path).year == 2024
    assert load_framework(2027, directory=tmp_path).year == 2026
    framework = load_framework(2027, directory=tmp_path)
    assert required_reflection_meetings(2027, framework=framework) == 5
    assert required_reflection_meetings(2027) == 4


def test_a_missing_replacement_directory_fails_loudly(tmp_path, monkeypatch):
    monkeypatch.setenv(FRAMEWORK_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FrameworkDataError, match="not a directory"):
        load_framework()


def test_file_year_must_match_its_name(tmp_path):
    write(tmp_path, 2025, packaged_raw(2024))
    with pytest.raises(FrameworkDataError, match="named 2025.json"):
        load_framework(directory=tmp_path)


def test_json_numbers_are_read_as_exact_decimals():
    raw = json.loads(json.dumps(packaged_raw(2024)).replace('"vat_rate": "0.21"', '"vat_rate": 0.09'),
                     parse_float=Decimal)
    assert parse_framework(raw).fees.vat_rate == Decimal("0.09")


def _cap_every_category(raw):
    # 10 each over six categories: 60 < 75, so the total could never be reached.
    for item in raw["pe"]["categories"]["items"]:
        item.update(minimum="0", maximum="10")


def _broken(mutate):
    raw = copy.deepcopy(packaged_raw(2024))
    mutate(raw)
    return raw


@pytest.mark.parametrize(
    "mutate, complaint",
    [
        (lambda raw: raw.pop("fees"), r"\$\.fees: missing"),
        (lambda raw: raw.update(format_version=2), "version"),
        (lambda raw: raw["pe"]["units"].pop("ects"), r"\$\.pe\.units\.ects: missing"),
        (lambda raw: raw["pe"]["units"]["hours"].update(points_per_unit="-1"), "points_per_unit"),
        (lambda raw: raw["fees"]["items"]["reassessment"].update(net="75.001"), "two decimals"),
        (lambda raw: raw["fees"]["items"]["reassessment"].update(net=75.5), "decimal number"),
        (lambda raw: raw["fees"].update(vat_rate="21"), "fraction"),
        (lambda raw: raw["fees"]["items"]["reassessment"].update(issuer="mentor"), "issuer"),
        (lambda raw: raw["pe"]["categories"]["items"][1].update(number=1), "repeat"),
        (lambda raw: raw["pe"]["categories"]["items"][1].update(minimum="30", maximum="20"), "above maximum"),
        (_cap_every_category, "out of reach"),
        (lambda raw: raw["pe"]["categories"]["items"][0].update(minimum="76"), "minima add up"),
        (lambda raw: raw["reflection"]["required_meetings"][2].update(expiry_year_from=2024), "ascend"),
        (lambda raw: raw["reflection"]["required_meetings"][0].update(expiry_year_from=2020), "null"),
        (lambda raw: raw["identifiers"]["affiliate_number"].update(pattern="^[0-9]{6}$", example="123456",
                                                                  template=None), "overlap"),
        (lambda raw: raw["identifiers"]["affiliate_number"].update(template="X-{number}"), "template"),
        (lambda raw: raw["identifiers"]["membership_number"].update(pattern="(["), "regular expression"),
        (lambda raw: raw["title"].pop("en"), r"\$\.title\.en: missing"),
    ],
)
def test_malformed_data_is_rejected_naming_the_problem(mutate, complaint):
    with pytest.raises(FrameworkDataError, match=complaint):
        parse_framework(_broken(mutate), source="broken.json")


def test_the_packaged_files_parse_as_they_are():
    for year in (2023, 2024):
        assert parse_framework(packaged_raw(year)).year == year
