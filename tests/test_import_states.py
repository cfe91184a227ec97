import pytest

from uprgraph import states


@pytest.mark.parametrize(("name", "iso3"), [
    ("Iran (Islamic Republic of)", "IRN"),
    ("United Kingdom of Great Britain and Northern Ireland", "GBR"),
    ("State of Palestine", "PSE"),
    ("Holy See", "VAT"),
    ("Côte d'Ivoire", "CIV"),
    ("Côte d’Ivoire", "CIV"),
    ("Cote d'Ivoire", "CIV"),
    ("Bolivia (Plurinational State of)", "BOL"),
    ("Micronesia (Federated States of)", "FSM"),
    ("Venezuela (Bolivarian Republic of)", "VEN"),
    ("DPR Korea", "PRK"),
    ("Republic of Korea", "KOR"),
    ("St Vincent & the Grenadines", "VCT"),
    ("Macedonia FYR", "MKD"),
    ("KHM", "KHM"),
    ("Niger", "NER"),
])
def test_un_and_upr_info_names(name, iso3):
    assert states.resolve(name).iso3 == iso3


def test_codes_and_labels():
    cambodia = states.resolve("Cambodia")
    assert (cambodia.iso3, cambodia.iso2, cambodia.m49) == ("KHM", "KH", "116")
    assert states.resolve("Iran").label == "Iran (Islamic Republic of)"


@pytest.mark.parametrize("name", ["Atlantis", "", "Korea, North-ish", "ICRMW"])
def test_unknown_names_raise(name):
    with pytest.raises(states.UnknownState):
        states.resolve(name)


def test_unknown_placeholder():
    assert states.is_unknown("&#40;Unknown&#41;")
    assert not states.is_state("&#40;Unknown&#41;")
