"""Routing: category x region -> handling agency and unit, copies, the rule that decided it, and why."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aduan.domain.categories import HandlerLevel
from aduan.domain.directory import Directory
from aduan.domain.directory_data import PACKAGED
from aduan.domain.routing import SUGGESTED_RULE, TRIAGE_RULE, reroute, route

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

SULTRA_GOVERNMENTS = {
    "74.01": "pemkab-74-01",
    "74.02": "pemkab-74-02",
    "74.03": "pemkab-74-03",
    "74.04": "pemkab-74-04",
    "74.05": "pemkab-74-05",
    "74.06": "pemkab-74-06",
    "74.07": "pemkab-74-07",
    "74.08": "pemkab-74-08",
    "74.09": "pemkab-74-09",
    "74.10": "pemkab-74-10",
    "74.11": "pemkab-74-11",
    "74.12": "pemkab-74-12",
    "74.13": "pemkab-74-13",
    "74.14": "pemkab-74-14",
    "74.15": "pemkab-74-15",
    "74.71": "pemkot-74-71",
    "74.72": "pemkot-74-72",
}

# Categories the taxonomy sends to a regency or city office, and that office (no explicit rule overrides them).
REGENCY_DEFAULTS = {
    "health": "dinkes",
    "transport": "dishub",
    "education": "disdik",
    "civil-registration": "disdukcapil",
    "permits": "dpmptsp",
    "permits.building": "dpmptsp",
    "environment": "dlh",
    "tourism": "dispar",
    "regional-development": "bappeda",
    "infrastructure": "dpupr",
    "infrastructure.roads": "dpupr",
    "infrastructure.water-supply": "pdam",
    "labour": "disnaker",
    "communication": "diskominfo",
}

NATIONAL_ONLY = {"banking": "ojk", "health.insurance": "bpjs-kesehatan"}


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load()


def with_rules(tmp_path: Path, rules: str) -> Directory:
    """The packaged directory with ``routing_rules.yaml`` replaced."""
    (tmp_path / "routing_rules.yaml").write_text(rules, encoding="utf-8")
    return Directory.load(tmp_path)


@pytest.mark.parametrize("category", sorted(REGENCY_DEFAULTS))
@pytest.mark.parametrize("region_code", sorted(SULTRA_GOVERNMENTS))
def test_regency_level_categories_go_to_the_regency_or_city_office(directory, category, region_code):
    government = SULTRA_GOVERNMENTS[region_code]
    disposition = route(category, region_code, directory)
    assert disposition.agency == government
    assert disposition.unit == f"{government}.{REGENCY_DEFAULTS[category]}"
    assert disposition.copies == ()
    assert disposition.rule_id == f"default.{category}.regency"
    unit_name = directory.unit(disposition.unit).name
    region_name = directory.regions.get(region_code).name
    assert f"category {category} " in disposition.rule_reason
    assert region_name in disposition.rule_reason and unit_name in disposition.rule_reason


def test_the_reason_names_the_level_the_government_and_the_office(directory):
    disposition = route("health", "74.04", directory)
    assert disposition.rule_reason == (
        "category health (Kesehatan) at regency level: Pemerintah Kabupaten Buton (74.04) handles it through "
        "Dinas Kesehatan"
    )


@pytest.mark.parametrize("district", ["74.04.11", "74.04.22", "74.04.29"])
def test_a_district_resolves_to_its_regency(directory, district):
    disposition = route("health", district, directory)
    assert (disposition.agency, disposition.unit) == ("pemkab-74-04", "pemkab-74-04.dinkes")
    assert disposition.region_code == district
    assert directory.regions.get(district).label in disposition.rule_reason


@pytest.mark.parametrize(
    "category, region_code, agency, unit",
    [
        ("health", "74", "pemprov-74", "pemprov-74.dinkes"),
        ("education", "74", "pemprov-74", "pemprov-74.disdik"),
        ("permits.vehicle", "74.01", "pemprov-74", "pemprov-74.bapenda"),  # Samsat is provincial
        ("permits.vehicle", "74.71.01", "pemprov-74", "pemprov-74.bapenda"),
        ("infrastructure.water-supply", "74", "pemprov-74", "pemprov-74.dpupr"),
        ("civil-registration", "74", "kemendagri", "kemendagri.dukcapil"),  # no provincial office
        ("health", None, "kemenkes", None),  # a national matter
        ("education", "", "kemendikdasmen", None),
        ("regional-development", None, "kemendagri", "kemendagri.bangda"),
    ],
)
def test_the_most_specific_level_with_a_handler_wins(directory, category, region_code, agency, unit):
    disposition = route(category, region_code, directory)
    assert (disposition.agency, disposition.unit) == (agency, unit)


@pytest.mark.parametrize("category, agency", sorted(NATIONAL_ONLY.items()))
@pytest.mark.parametrize("region_code", ["74.04", "74.71", "74.12.01", "74", "31.71", None])
def test_national_only_categories_go_to_the_national_institution_everywhere(
    directory, category, agency, region_code
):
    disposition = route(category, region_code, directory)
    assert (disposition.agency, disposition.copies) == (agency, ())
    assert disposition.rule_id == f"default.{category}.national"
    assert "at national level" in disposition.rule_reason


@pytest.mark.parametrize("region_code", sorted(SULTRA_GOVERNMENTS))
def test_electricity_goes_to_pln_with_a_copy_to_the_local_government(directory, region_code):
    disposition = route("electricity", region_code, directory)
    assert (disposition.agency, disposition.unit) == ("pln", None)
    assert disposition.copies == (SULTRA_GOVERNMENTS[region_code],)
    assert disposition.rule_id == "electricity-pln"
    assert "rule electricity-pln" in disposition.rule_reason and "PT PLN (Persero)" in disposition.rule_reason


def test_a_copy_that_does_not_exist_for_the_region_is_left_out(directory):
    disposition = route("electricity", "74", directory)
    assert (disposition.agency, disposition.copies) == ("pln", ())


def test_an_explicit_rule_overrides_the_taxonomy_default(directory, tmp_path):
    by_rule = route("village-funds", "74.12.01", directory)
    assert (by_rule.agency, by_rule.unit) == ("pemkab-74-12", "pemkab-74-12.dpmd")
    assert by_rule.copies == ("kemendes",)
    assert by_rule.rule_id == "village-funds-dpmd"

    without_rules = with_rules(tmp_path, "rules: []\n")
    by_default = route("village-funds", "74.12.01", without_rules)
    assert (by_default.agency, by_default.unit) == ("pemkab-74-12", "pemkab-74-12.dpmd")
    assert (by_default.copies, by_default.rule_id) == ((), "default.village-funds.regency")


def test_a_rule_whose_handler_needs_a_regency_is_passed_over_for_a_province(directory):
    disposition = route("village-funds", "74", directory)
    assert (disposition.agency, disposition.unit) == ("pemprov-74", "pemprov-74.dpmd")
    assert disposition.rule_id == "default.village-funds.province"


RANKED_RULES = """
rules:
  - {id: sultra-health, category: health, region: "74", handler: "@province.dinkes", reason: province-wide}
  - {id: buton-health, category: health, region: "74.04", handler: kemenkes, reason: a regency rule}
  - {id: sultra-anything, category: "*", region: "74", priority: 5, handler: "@province", reason: urgent}
  - {id: sultra-permits, category: permits, region: "74", priority: 7, handler: bkpm, reason: all permits}
  - {id: sultra-building, category: permits.building, region: "74", priority: 7, handler: kemenpu, reason: PBG}
  - {id: pasarwajo-roads, category: infrastructure, region: "74.04.11", priority: -3, handler: kemenpu,
     copies: ["@regency", "@province", kemenpu], reason: a national road}
"""


@pytest.mark.parametrize(
    "category, region_code, rule_id, agency",
    [
        ("health", "74.04.11", "buton-health", "kemenkes"),  # regency beats province, whatever the priority
        ("health", "74.01", "sultra-anything", "pemprov-74"),  # same region level: priority 5 beats 0
        ("education", "74.71", "sultra-anything", "pemprov-74"),  # a '*' category covers every category
        ("permits.building", "74.01", "sultra-building", "kemenpu"),  # same priority: the exact category wins
        ("permits.vehicle", "74.01", "sultra-permits", "bkpm"),  # a parent category covers its children
        ("infrastructure.roads", "74.04.11", "pasarwajo-roads", "kemenpu"),  # district beats all, priority -3
        ("infrastructure.roads", "74.04.22", "sultra-anything", "pemprov-74"),
        ("health", "73.71", "default.health.regency", "pemkot-73-71"),  # outside the rules' region
    ],
)
def test_the_most_specific_rule_wins_and_priority_breaks_ties(tmp_path, category, region_code, rule_id, agency):
    disposition = route(category, region_code, with_rules(tmp_path, RANKED_RULES))
    assert (disposition.rule_id, disposition.agency) == (rule_id, agency)


def test_copies_leave_out_the_handler_and_repeats(tmp_path):
    disposition = route("infrastructure.roads", "74.04.11", with_rules(tmp_path, RANKED_RULES))
    assert disposition.copies == ("pemkab-74-04", "pemprov-74")


def test_a_province_rule_without_a_unit_picks_the_unit_handling_the_category(tmp_path):
    disposition = route("health", "74.01", with_rules(tmp_path, RANKED_RULES))
    assert disposition.unit == "pemprov-74.dinkes"


@pytest.mark.parametrize(
    "rules, message",
    [
        (
            "rules:\n  - {id: a, category: health, region: '74', handler: kemenkes, reason: x}\n"
            "  - {id: b, category: health, region: '74', handler: kemenhub, reason: y}\n",
            "higher priority",
        ),
        ("rules:\n  - {id: a, category: healthcare, handler: kemenkes, reason: x}\n", "not in categories.yaml"),
        ("rules:\n  - {id: a, category: health, region: '74.99', handler: kemenkes, reason: x}\n", "official"),
        ("rules:\n  - {id: a, category: health, handler: polri, reason: x}\n", "neither an agency nor a unit"),
        ("rules:\n  - {id: a, category: health, handler: '@regency.samsat', reason: x}\n", "no unit 'samsat'"),
        ("rules:\n  - {id: a, category: health, handler: '@district', reason: x}\n", "@regency or @province"),
        ("rules:\n  - {id: a, category: health, handler: ombudsman, reason: x}\n", "does not handle complaints"),
        ("rules:\n  - {id: a, category: health, handler: kemenkes}\n", "reason"),
        ("rules:\n  - {id: a, category: health, handler: kemenkes, reason: x, when: never}\n", "unknown keys"),
    ],
)
def test_an_inconsistent_rule_is_refused_at_load_with_what_to_fix(tmp_path, rules, message):
    with pytest.raises(ValueError, match=message):
        with_rules(tmp_path, rules)


@pytest.mark.parametrize(
    "category, region_code, why",
    [
        (None, "74.04", "no category yet"),
        ("", "74.04", "no category yet"),
        ("uncategorised", "74.04", "no category yet"),
        ("healthcare", "74.04", "'healthcare' is not in the taxonomy"),
        ("crime", "74.04", "Polri"),
        ("corruption", "74.71", "KPK"),
        ("legislative", None, "DPRD"),
        ("permits.driving-licence", "74.04", "Satpas SIM"),
        ("health", "74.99", "'74.99' is not an official region code"),
    ],
)
def test_anything_unroutable_goes_to_the_national_triage_queue(directory, category, region_code, why):
    disposition = route(category, region_code, directory)
    assert (disposition.agency, disposition.unit, disposition.copies) == ("lapor-admin", None, ())
    assert disposition.rule_id == TRIAGE_RULE
    assert why in disposition.rule_reason and "national triage queue" in disposition.rule_reason


def test_a_category_nobody_handles_falls_back_to_triage(tmp_path):
    categories = (PACKAGED / "categories.yaml").read_text() + (
        "  - {code: embassies, name_id: Perwakilan RI, name_en: Embassies}\n"
    )
    (tmp_path / "categories.yaml").write_text(categories)
    disposition = route("embassies", "74.04", Directory.load(tmp_path))
    assert disposition.rule_id == TRIAGE_RULE
    assert "no rule and no office handles category embassies" in disposition.rule_reason


def test_category_codes_are_read_loosely(directory):
    assert route(" Health ", "74.04", directory).unit == "pemkab-74-04.dinkes"
    assert route("health", " 74.04 ", directory).region_code == "74.04"


def test_routing_is_a_pure_function_of_category_region_and_directory_version(directory):
    first = route("health", "74.04.11", directory)
    assert route("health", "74.04.11", Directory.load()) == first
    assert first.directory_version == directory.version


def test_a_disposition_fills_the_dispositioned_event(directory):
    schema = json.loads((SCHEMAS / "id.aduan.ComplaintDispositioned.avsc").read_text())
    event_fields = {field["name"] for field in schema["fields"]} - {"header", "round"}
    fields = route("electricity", "74.04", directory).event_fields()
    assert set(fields) == event_fields
    assert fields["copies"] == ["pemkab-74-04"] and fields["directory_version"] == directory.version


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_disposition_names_real_agencies(directory, data):
    region = data.draw(st.sampled_from(list(directory.regions)))
    category = data.draw(st.sampled_from([c.code for c in directory.taxonomy]))
    disposition = route(category, region.code, directory)
    assert directory.agency(disposition.agency).can_handle
    if disposition.unit is not None:
        assert directory.unit(disposition.unit).agency_code == disposition.agency
    assert disposition.agency not in disposition.copies
    assert all(copy in directory for copy in disposition.copies)


# Rerouting a forwarded complaint ---------------------------------------------------------------------------------


def test_a_forwarded_complaint_never_goes_back_to_the_agency_that_declined_it(directory):
    disposition = reroute("health", "74.04.11", directory, declined=["pemkab-74-04"])
    assert (disposition.agency, disposition.unit) == ("pemprov-74", "pemprov-74.dinkes")
    assert "declined by Pemerintah Kabupaten Buton (pemkab-74-04)" in disposition.rule_reason

    twice = reroute("health", "74.04.11", directory, declined=["pemkab-74-04", "pemprov-74"])
    assert twice.agency == "kemenkes"

    everyone = reroute("health", "74.04.11", directory, declined=["pemkab-74-04", "pemprov-74", "kemenkes"])
    assert everyone.rule_id == TRIAGE_RULE and "that has not declined" in everyone.rule_reason


def test_a_declined_rule_handler_gives_way_to_the_defaults(directory):
    disposition = reroute("village-funds", "74.04", directory, declined=["pemkab-74-04"])
    assert (disposition.agency, disposition.unit) == ("pemprov-74", "pemprov-74.dpmd")
    assert "rule village-funds-dpmd passed over" in disposition.rule_reason


def test_an_agency_that_declined_gets_no_copy(directory):
    disposition = reroute("village-funds", "74.04", directory, declined=["kemendes"])
    assert (disposition.agency, disposition.copies) == ("pemkab-74-04", ())


@pytest.mark.parametrize(
    "suggested, agency, unit",
    [
        ("kemenkes", "kemenkes", None),
        ("pemkot-74-71", "pemkot-74-71", "pemkot-74-71.dinkes"),  # the agency's unit for the category
        ("pemkot-74-71.dlh", "pemkot-74-71", "pemkot-74-71.dlh"),  # a unit is taken as suggested
    ],
)
def test_a_valid_suggested_agency_is_honoured(directory, suggested, agency, unit):
    disposition = reroute("health", "74.04", directory, declined=["pemkab-74-04"], suggested_agency=suggested)
    assert (disposition.agency, disposition.unit, disposition.rule_id) == (agency, unit, SUGGESTED_RULE)
    assert "as the forwarding agency suggested" in disposition.rule_reason


@pytest.mark.parametrize(
    "suggested, why",
    [
        ("polri", "not in the directory"),
        ("pemkab-74-04", "declined already"),
        ("ombudsman", "does not handle complaints"),
    ],
)
def test_an_invalid_suggested_agency_is_ignored_and_said_so(directory, suggested, why):
    disposition = reroute("health", "74.04", directory, declined=["pemkab-74-04"], suggested_agency=suggested)
    assert disposition.agency == "pemprov-74"
    assert why in disposition.rule_reason


def test_a_suggested_category_and_region_are_used_when_valid(directory):
    disposition = reroute(
        "health", "74.04", directory, declined=["pemkab-74-04"], suggested_category="banking", suggested_region="74.71"
    )
    assert (disposition.agency, disposition.category, disposition.region_code) == ("ojk", "banking", "74.71")

    moved = reroute("health", "74.04", directory, declined=["pemkab-74-04"], suggested_region="74.71")
    assert (moved.agency, moved.unit) == ("pemkot-74-71", "pemkot-74-71.dinkes")

    out_of_scope = reroute("health", "74.04", directory, declined=["pemkab-74-04"], suggested_category="crime")
    assert out_of_scope.rule_id == TRIAGE_RULE and "Polri" in out_of_scope.rule_reason


def test_invalid_suggested_category_and_region_are_ignored(directory):
    disposition = reroute(
        "health", "74.04", directory, declined=["pemkab-74-04"], suggested_category="healthcare", suggested_region="7404"
    )
    assert (disposition.agency, disposition.category, disposition.region_code) == ("pemprov-74", "health", "74.04")
    assert "'healthcare' ignored" in disposition.rule_reason and "'7404' ignored" in disposition.rule_reason


def test_every_category_with_a_regency_handler_is_covered_by_the_tables(directory):
    with_regency_handler = {c.code for c in directory.taxonomy if c.handler(HandlerLevel.REGENCY)}
    by_rule = {rule.category for rule in directory.rules}
    assert with_regency_handler - by_rule == set(REGENCY_DEFAULTS)
