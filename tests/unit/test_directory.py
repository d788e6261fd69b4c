"""The agency directory: generated governments, national institutions, hierarchy, escalation and versions."""

import re
from pathlib import Path

import pytest

from aduan.domain.directory import (
    REGIONAL_KINDS,
    AgencyKind,
    Directory,
    EscalationLevel,
    UnknownAgency,
)
from aduan.domain.directory_data import PACKAGED
from aduan.domain.regions import UnknownRegion, load_regions

# What Kafka accepts in a topic name, and its length limit.
TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")

SULTRA = {
    "74.01": ("pemkab-74-01", "Pemerintah Kabupaten Kolaka"),
    "74.02": ("pemkab-74-02", "Pemerintah Kabupaten Konawe"),
    "74.03": ("pemkab-74-03", "Pemerintah Kabupaten Muna"),
    "74.04": ("pemkab-74-04", "Pemerintah Kabupaten Buton"),
    "74.05": ("pemkab-74-05", "Pemerintah Kabupaten Konawe Selatan"),
    "74.06": ("pemkab-74-06", "Pemerintah Kabupaten Bombana"),
    "74.07": ("pemkab-74-07", "Pemerintah Kabupaten Wakatobi"),
    "74.08": ("pemkab-74-08", "Pemerintah Kabupaten Kolaka Utara"),
    "74.09": ("pemkab-74-09", "Pemerintah Kabupaten Konawe Utara"),
    "74.10": ("pemkab-74-10", "Pemerintah Kabupaten Buton Utara"),
    "74.11": ("pemkab-74-11", "Pemerintah Kabupaten Kolaka Timur"),
    "74.12": ("pemkab-74-12", "Pemerintah Kabupaten Konawe Kepulauan"),
    "74.13": ("pemkab-74-13", "Pemerintah Kabupaten Muna Barat"),
    "74.14": ("pemkab-74-14", "Pemerintah Kabupaten Buton Tengah"),
    "74.15": ("pemkab-74-15", "Pemerintah Kabupaten Buton Selatan"),
    "74.71": ("pemkot-74-71", "Pemerintah Kota Kendari"),
    "74.72": ("pemkot-74-72", "Pemerintah Kota Bau Bau"),
}

NATIONAL_KINDS = (
    AgencyKind.MINISTRY,
    AgencyKind.NATIONAL_AGENCY,
    AgencyKind.STATE_COMPANY,
    AgencyKind.NATIONAL_ADMIN,
    AgencyKind.OMBUDSMAN,
)


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load()


def overlay(tmp_path: Path, name: str, text: str) -> Directory:
    """The directory with one data file replaced."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    return Directory.load(tmp_path)


def test_every_province_regency_and_city_has_a_government(directory):
    assert len(directory.agencies(AgencyKind.PROVINCE_GOVERNMENT)) == 38
    assert len(directory.agencies(AgencyKind.REGENCY_GOVERNMENT)) == 416
    assert len(directory.agencies(AgencyKind.CITY_GOVERNMENT)) == 98
    assert len(directory) == 552 + len(directory.agencies(*NATIONAL_KINDS))


@pytest.mark.parametrize("region_code", sorted(SULTRA))
def test_each_sulawesi_tenggara_regency_and_city_has_its_government(directory, region_code):
    code, name = SULTRA[region_code]
    government = directory.government_for_region(region_code)
    assert (government.code, government.name, government.region_code) == (code, name, region_code)
    expected_kind = AgencyKind.CITY_GOVERNMENT if code.startswith("pemkot") else AgencyKind.REGENCY_GOVERNMENT
    assert government.kind is expected_kind
    assert government.parent_code == "pemprov-74"


def test_a_district_belongs_to_its_regency_government_and_a_province_to_its_own(directory):
    assert directory.government_for_region("74.04.11").code == "pemkab-74-04"
    province = directory.government_for_region("74")
    assert (province.code, province.name) == ("pemprov-74", "Pemerintah Provinsi Sulawesi Tenggara")
    with pytest.raises(UnknownRegion):
        directory.government_for_region("74.99")


def test_national_institutions_come_from_the_operator_file(directory):
    assert directory.agency("kemenkes").kind is AgencyKind.MINISTRY
    assert directory.agency("ojk").kind is AgencyKind.NATIONAL_AGENCY
    assert directory.agency("pln").kind is AgencyKind.STATE_COMPANY
    assert directory.national_admin.code == "lapor-admin"
    assert directory.ombudsman.code == "ombudsman"
    assert directory.agency("kemenkes").region_code is None


def test_every_agency_and_unit_code_fits_in_a_kafka_topic_name(directory):
    for agency in directory.agencies():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", agency.code), agency.code
        assert TOPIC_NAME.fullmatch(f"aduan.agency.{agency.code}.inbox"), agency.code
        for unit in agency.units:
            assert unit.code == f"{agency.code}.{unit.slug}"
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", unit.slug), unit.code
            assert TOPIC_NAME.fullmatch(unit.code)


def test_regional_units_know_the_categories_they_handle(directory):
    buton = directory.agency("pemkab-74-04")
    dinkes = directory.unit("pemkab-74-04.dinkes")
    assert (dinkes.name, dinkes.agency_code) == ("Dinas Kesehatan", "pemkab-74-04")
    assert "health" in dinkes.categories
    assert buton.unit_for("health").code == "pemkab-74-04.dinkes"
    assert buton.unit_for("infrastructure.roads").code == "pemkab-74-04.dpupr"
    assert buton.unit_for("infrastructure.water-supply").code == "pemkab-74-04.pdam"
    assert buton.unit_for("civil-registration").code == "pemkab-74-04.disdukcapil"
    assert buton.unit_for("banking") is None
    assert directory.agency("pemprov-74").unit_for("permits.vehicle").code == "pemprov-74.bapenda"


def test_a_national_unit_covers_the_sub_categories_of_its_categories(directory):
    kemendagri = directory.agency("kemendagri")
    assert kemendagri.unit_for("civil-registration").code == "kemendagri.dukcapil"
    assert kemendagri.unit_for("regional-development").code == "kemendagri.bangda"
    assert directory.agency_of("kemendagri.dukcapil") is kemendagri


def test_parents_follow_the_supervision_hierarchy(directory):
    assert directory.parent_of("pemkab-74-04.dinkes").code == "pemkab-74-04"
    assert directory.parent_of("pemkab-74-04").code == "pemprov-74"
    assert directory.parent_of("pemkot-74-71").code == "pemprov-74"
    assert directory.parent_of("pemprov-74").code == "lapor-admin"
    assert directory.parent_of("kemenkes").code == "lapor-admin"
    assert directory.parent_of("pln").code == "lapor-admin"
    assert directory.parent_of("lapor-admin").code == "ombudsman"
    assert directory.parent_of("ombudsman") is None


@pytest.mark.parametrize(
    "code, expected",
    [
        (
            "pemkab-74-04.dinkes",
            [
                ("AGENCY_COORDINATOR", "pemkab-74-04"),
                ("AGENCY_COORDINATOR", "pemprov-74"),
                ("NATIONAL_ADMIN", "lapor-admin"),
                ("OMBUDSMAN", "ombudsman"),
            ],
        ),
        (
            "pemkot-74-71",
            [
                ("AGENCY_COORDINATOR", "pemkot-74-71"),
                ("AGENCY_COORDINATOR", "pemprov-74"),
                ("NATIONAL_ADMIN", "lapor-admin"),
                ("OMBUDSMAN", "ombudsman"),
            ],
        ),
        (
            "pemprov-74.dinkes",
            [("AGENCY_COORDINATOR", "pemprov-74"), ("NATIONAL_ADMIN", "lapor-admin"), ("OMBUDSMAN", "ombudsman")],
        ),
        (
            "kemendagri.dukcapil",
            [("AGENCY_COORDINATOR", "kemendagri"), ("NATIONAL_ADMIN", "lapor-admin"), ("OMBUDSMAN", "ombudsman")],
        ),
        ("pln", [("AGENCY_COORDINATOR", "pln"), ("NATIONAL_ADMIN", "lapor-admin"), ("OMBUDSMAN", "ombudsman")]),
        ("lapor-admin", [("NATIONAL_ADMIN", "lapor-admin"), ("OMBUDSMAN", "ombudsman")]),
    ],
)
def test_escalation_climbs_to_the_ombudsman(directory, code, expected):
    chain = directory.escalation_chain(code)
    assert [(step.level.value, step.agency.code) for step in chain] == expected
    assert all(isinstance(step.level, EscalationLevel) for step in chain)


def test_an_unknown_code_says_where_agencies_come_from(directory):
    with pytest.raises(UnknownAgency) as raised:
        directory.agency("polri")
    assert "polri" in str(raised.value) and "agencies_national.yaml" in str(raised.value)
    with pytest.raises(UnknownAgency):
        directory.unit("pemkab-74-04.samsat")
    assert "pemkab-74-04.samsat" not in directory and "pemkab-74-04.dinkes" in directory


def test_every_lookup_result_carries_the_directory_version(directory):
    assert re.fullmatch(r"2025\.1\+[0-9a-f]{12}", directory.version)
    assert directory.agency("kemenkes").directory_version == directory.version
    assert directory.unit("pemkab-74-04.dinkes").directory_version == directory.version


def test_loading_the_same_data_again_gives_the_same_directory(directory, tmp_path):
    assert Directory.load() is directory
    copy = overlay(tmp_path, "agencies_national.yaml", (PACKAGED / "agencies_national.yaml").read_text())
    assert copy is directory


def test_editing_a_data_file_changes_the_version(directory, tmp_path):
    text = (PACKAGED / "agencies_national.yaml").read_text()
    edited = overlay(tmp_path, "agencies_national.yaml", text + "  - {code: bpom, kind: NATIONAL_AGENCY, name: BPOM}\n")
    assert edited.version != directory.version
    assert edited.release == directory.release
    assert edited.agency("bpom").directory_version == edited.version
    assert "bpom" not in directory


def test_the_folder_aduan_directory_data_names_replaces_the_packaged_files_it_has(directory, tmp_path, monkeypatch):
    (tmp_path / "regions.csv").write_text("code,name,level,parent_code\n74,Sulawesi Tenggara,province,\n"
                                          "74.71,Kota Kendari,regency,74\n74.71.01,Mandonga,district,74.71\n")
    monkeypatch.setenv("ADUAN_DIRECTORY_DATA", str(tmp_path))
    small = Directory.load()
    assert small is Directory.load(tmp_path) and small.version != directory.version
    assert [agency.code for agency in small.agencies(*REGIONAL_KINDS)] == ["pemprov-74", "pemkot-74-71"]
    assert len(small.agencies(*NATIONAL_KINDS)) == len(directory.agencies(*NATIONAL_KINDS))  # the packaged ones
    assert small.government_for_region("74.71.01").code == "pemkot-74-71"
    assert load_regions().is_valid("74.71.01") and not load_regions().is_valid("74.04")  # every loader: one folder


def test_aduan_directory_data_naming_no_folder_is_refused_with_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("ADUAN_DIRECTORY_DATA", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match=r"ADUAN_DIRECTORY_DATA=.*missing: no such folder"):
        Directory.load()


def test_the_release_string_comes_from_its_file(tmp_path):
    assert overlay(tmp_path, "directory_version.txt", "2026.3\n").version.startswith("2026.3+")


def test_an_agency_code_unfit_for_topic_names_is_refused(tmp_path):
    text = "agencies:\n  - {code: Kemenkes_RI, kind: MINISTRY, name: Kementerian Kesehatan}\n"
    with pytest.raises(ValueError, match="topic names"):
        overlay(tmp_path, "agencies_national.yaml", text)


def test_regional_codes_cannot_be_taken_by_national_agencies(tmp_path):
    text = (PACKAGED / "agencies_national.yaml").read_text()
    with pytest.raises(ValueError, match="kept for regions"):
        overlay(tmp_path, "agencies_national.yaml", text + "  - {code: pemkab-x, kind: MINISTRY, name: X}\n")


def test_a_category_needing_a_missing_regional_unit_is_refused(tmp_path):
    units = (PACKAGED / "directory_regional_units.yaml").read_text()
    units = units.replace("  - {slug: dinsos, name: Dinas Sosial}\n", "")
    with pytest.raises(ValueError, match="dinsos.*social-assistance"):
        overlay(tmp_path, "directory_regional_units.yaml", units)


def test_a_category_naming_a_missing_national_agency_is_refused(tmp_path):
    categories = (PACKAGED / "categories.yaml").read_text().replace("national: ojk", "national: bank-indonesia")
    with pytest.raises(ValueError, match="bank-indonesia"):
        overlay(tmp_path, "categories.yaml", categories)


def test_exactly_one_national_admin_is_required(tmp_path):
    text = "agencies:\n  - {code: ombudsman, kind: OMBUDSMAN, name: Ombudsman Republik Indonesia}\n"
    with pytest.raises(ValueError, match="exactly one agency of kind NATIONAL_ADMIN"):
        overlay(tmp_path, "agencies_national.yaml", text)
