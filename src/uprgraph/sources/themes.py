"""Theme vocabularies of the sources and the mappings between them.

Each source and version has its own SKOS concept scheme:

- ``uhri-2014``: UHRI codes with labels (OHCHR matrices of the 2014 layout);
- ``uhri-2019``, ``uhri-cycle4``: UHRI labels without codes (later layouts);
- ``ohchr-persons``: "Affected persons" / groups of persons of the matrices;
- ``upr-info-issues``: the issues of the UPR Info database.

Concepts of the label-only schemes are ``skos:exactMatch`` to the coded UHRI
concept with the same label (compared without case, "&"/"and" and punctuation);
UPR Info issues are ``skos:closeMatch`` to the UHRI code that covers them.
"""

from __future__ import annotations

import re
import unicodedata

from ..iris import slug
from ..records import Concept, ThemeMapping

UHRI_SCHEME = "uhri-2014"
PERSONS_SCHEME = "ohchr-persons"
UPR_INFO_SCHEME = "upr-info-issues"

#: UHRI theme codes and labels as OHCHR prints them.
UHRI: dict[str, str] = {
    "A12": "Acceptance of international norms",
    "A22": "Cooperation with treaty bodies",
    "A24": "Cooperation with special procedures",
    "A27": "Follow-up to Universal Periodic Review (UPR)",
    "A3": "Inter-State cooperation & development assistance",
    "A41": "Constitutional and legislative framework",
    "A42": "Institutions & policies - General",
    "A43": "Human rights policies",
    "A45": "National Human Rights Institution (NHRI)",
    "A5": "Human rights education, trainings and awareness raising",
    "A51": "Human rights education - general",
    "A54": "Awareness raising and dissemination",
    "A62": "Statistics and indicators",
    "B31": "Equality & non-discrimination",
    "B32": "Racial discrimination",
    "B51": "Right to an effective remedy",
    "B53": "Support to victims and witnesses",
    "D21": "Right to life",
    "D25": "Prohibition of torture and cruel, inhuman or degrading treatment",
    "D27": "Prohibition of slavery, trafficking",
    "D29": "Domestic violence",
    "D32": "Enforced disappearances",
    "D42": "Freedom of thought, conscience and religion",
    "D43": "Freedom of opinion and expression",
    "D46": "Right to private life, privacy",
    "D51": "Administration of justice & fair trial",
    "D6": "Rights related to name, identity, nationality",
    "D7": "Right to participation in public affairs and right to vote",
    "D8": "Rights related to marriage & family",
    "E1": "Economic, social & cultural rights - general measures of implementation",
    "E21": "Right to an adequate standard of living - general",
    "E23": "Right to adequate housing",
    "E24": "Right to social security",
    "E25": "Human rights & poverty",
    "E26": "Human Rights & drinking water and sanitation",
    "E31": "Right to work",
    "E32": "Right to just and favourable conditions of work",
    "E33": "Trade union rights",
    "E41": "Right to health - General",
    "E51": "Right to education - General",
    "F12": "Discrimination against women",
    "F13": "Violence against women",
    "F31": "Children: definition; general principles; protection",
    "F32": "Children: family environment and alternative care",
    "F33": "Children: protection against exploitation",
    "F34": "Children: Juvenile justice",
    "F41": "Persons with disabilities: definition, general principles",
    "F42": "Persons with disabilities: accessibility, mobility",
    "F44": "Persons with disabilities: protecting the integrity of the person",
    "G1": "Members of minorities",
    "G2": "Lesbian, gay, bisexual and transgender and intersex persons (LGBTI)",
    "G4": "Migrants",
    "G5": "Refugees & asylum seekers",
}

#: UPR Info issue -> the UHRI code that covers it (skos:closeMatch).
UPR_INFO_TO_UHRI: dict[str, str] = {
    "International instruments": "A12",
    "Treaty bodies": "A22",
    "Special procedures": "A24",
    "UPR process": "A27",
    "Technical assistance and cooperation": "A3",
    "NHRI": "A45",
    "Human rights education and training": "A5",
    "Racial discrimination": "B32",
    "Torture and other CID treatment": "D25",
    "Trafficking": "D27",
    "Enforced disappearances": "D32",
    "Freedom of religion and belief": "D42",
    "Freedom of opinion and expression": "D43",
    "Justice": "D51",
    "ESC rights - general": "E1",
    "Right to housing": "E23",
    "Poverty": "E25",
    "Right to water": "E26",
    "Labour": "E31",
    "Right to health": "E41",
    "Right to education": "E51",
    "Minorities": "G1",
    "Sexual Orientation and Gender Identity": "G2",
    "Migrants": "G4",
    "Asylum-seekers - refugees": "G5",
}


def label_key(label: str) -> str:
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


_UHRI_BY_LABEL = {label_key(label): code for code, label in UHRI.items()}


def uhri(code: str, label: str | None = None) -> Concept:
    return Concept(UHRI_SCHEME, code, label or UHRI.get(code, code), notation=code)


def labelled(scheme: str, label: str) -> Concept:
    """A concept known only by its label: its code is the label's slug."""
    return Concept(scheme, slug(label), label.strip())


def person_group(label: str) -> Concept:
    text = label.strip()
    text = text[:1].upper() + text[1:]
    return Concept(PERSONS_SCHEME, slug(text), text)


def upr_info_issue(label: str) -> Concept:
    return Concept(UPR_INFO_SCHEME, slug(label), label.strip())


def mapping_for(concept: Concept) -> ThemeMapping | None:
    """The mapping of a concept onto the coded UHRI scheme, if one is known."""
    if concept.scheme == UPR_INFO_SCHEME:
        code = UPR_INFO_TO_UHRI.get(concept.label)
        return ThemeMapping(concept, uhri(code), "closeMatch") if code else None
    if concept.scheme.startswith("uhri-") and concept.scheme != UHRI_SCHEME:
        code = _UHRI_BY_LABEL.get(label_key(concept.label))
        return ThemeMapping(concept, uhri(code), "exactMatch") if code else None
    return None


def mappings_for(concepts: set[Concept]) -> list[ThemeMapping]:
    found = (mapping_for(c) for c in sorted(concepts))
    return [m for m in found if m is not None]
