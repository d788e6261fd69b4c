"""Official regions: counts, parent chains, children, cities and code validation."""

import pytest

from aduan.domain.regions import (
    REGIONS_PATH,
    RegionLevel,
    Regions,
    UnknownRegion,
    load_regions,
)

SULTRA_REGENCIES = {
    "74.01": "Kabupaten Kolaka",
    "74.02": "Kabupaten Konawe",
    "74.03": "Kabupaten Muna",
    "74.04": "Kabupaten Buton",
    "74.05": "Kabupaten Konawe Selatan",
    "74.06": "Kabupaten Bombana",
    "74.07": "Kabupaten Wakatobi",
    "74.08": "Kabupaten Kolaka Utara",
    "74.09": "Kabupaten Konawe Utara",
    "74.10": "Kabupaten Buton Utara",
    "74.11": "Kabupaten Kolaka Timur",
    "74.12": "Kabupaten Konawe Kepulauan",
    "74.13": "Kabupaten Muna Barat",
    "74.14": "Kabupaten Buton Tengah",
    "74.15": "Kabupaten Buton Selatan",
    "74.71": "Kota Kendari",
    "74.72": "Kota Bau Bau",
}


@pytest.fixture(scope="module")
def regions() -> Regions:
    return load_regions()


def test_every_official_region_is_loaded(regions):
    assert len(regions.at_level(RegionLevel.PROVINCE)) == 38
    assert len(regions.at_level(RegionLevel.REGENCY)) == 514
    assert len(regions.at_level(RegionLevel.DISTRICT)) == 7285
    assert len(regions) == 38 + 514 + 7285


def test_sulawesi_tenggara_has_its_17_regencies_and_cities(regions):
    children = regions.children("74")
    assert {region.code: region.name for region in children} == SULTRA_REGENCIES
    assert {region.code for region in children if region.is_city} == {"74.71", "74.72"}


def test_a_district_climbs_to_its_regency_and_province(regions):
    assert [region.code for region in regions.chain("74.04.11")] == ["74.04.11", "74.04", "74"]
    assert regions.get("74.04.11").name == "Pasarwajo"
    assert regions.regency_of("74.04.11").name == "Kabupaten Buton"
    assert regions.province_of("74.04.11").name == "Sulawesi Tenggara"


def test_a_province_has_no_regency_and_is_its_own_province(regions):
    assert regions.regency_of("74") is None
    assert regions.province_of("74").code == "74"
    assert regions.chain("74") == (regions.get("74"),)


def test_a_regency_lists_its_districts(regions):
    districts = regions.children("74.04")
    assert districts, "Kabupaten Buton has districts"
    assert all(d.level is RegionLevel.DISTRICT and d.parent_code == "74.04" for d in districts)
    assert "74.04.11" in {d.code for d in districts}


@pytest.mark.parametrize("code", ["74", "74.04", "74.71", "74.04.11", "31.71"])
def test_official_codes_are_valid(regions, code):
    assert regions.is_valid(code)
    assert code in regions


@pytest.mark.parametrize("code", ["", "74.99", "7404", "74.04.", "99", "74.04.11.01"])
def test_other_codes_are_not(regions, code):
    assert not regions.is_valid(code)
    assert regions.find(code) is None


def test_an_unknown_code_says_what_a_good_one_looks_like(regions):
    with pytest.raises(UnknownRegion) as raised:
        regions.chain("74.99")
    assert "74.99" in str(raised.value) and "74.04.11 (district)" in str(raised.value)


def test_names_are_trimmed_and_kota_is_a_city(regions):
    jakarta_utara = regions.get("31.72")
    assert jakarta_utara.name == "Kota Administrasi Jakarta Utara"
    assert jakarta_utara.is_city
    assert not regions.get("31.01").is_city  # Kabupaten Administrasi Kepulauan Seribu
    assert regions.get("74.04").label == "Kabupaten Buton (74.04)"


def test_regions_are_parsed_once_per_process():
    assert load_regions() is load_regions(REGIONS_PATH)


def test_a_bad_level_is_refused_with_its_line():
    text = "code,name,level,parent_code\n74,Sulawesi Tenggara,province,\n74.04,Kabupaten Buton,kabupaten,74\n"
    with pytest.raises(ValueError, match="line 3"):
        Regions.parse(text)


def test_a_missing_parent_is_refused():
    text = "code,name,level,parent_code\n74.04,Kabupaten Buton,regency,74\n"
    with pytest.raises(ValueError, match="parent 74"):
        Regions.parse(text)
