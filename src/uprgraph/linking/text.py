"""Text of a recommendation as the similarity measures compare it.

Recommendations are reworded from cycle to cycle ("Ratify the Optional Protocol
to the Convention against Torture" / "Consider ratifying OPCAT"): the common
treaty acronyms are spelt out and the leading softeners ("consider", "continue
to", "take steps to") dropped, so that what remains is the ask itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: treaty and body acronyms as UPR recommendations use them, spelt out
ACRONYMS: dict[str, str] = {
    "opcat": "optional protocol to the convention against torture",
    "cat": "convention against torture",
    "cedaw": "convention on the elimination of all forms of discrimination against women",
    "op-cedaw": "optional protocol to the convention on the elimination of all forms of "
                "discrimination against women",
    "crc": "convention on the rights of the child",
    "crpd": "convention on the rights of persons with disabilities",
    "iccpr": "international covenant on civil and political rights",
    "icescr": "international covenant on economic social and cultural rights",
    "op-icescr": "optional protocol to the international covenant on economic social and "
                 "cultural rights",
    "icerd": "international convention on the elimination of all forms of racial "
             "discrimination",
    "ced": "convention for the protection of all persons from enforced disappearance",
    "cerd": "convention on the elimination of all forms of racial discrimination",
    "icrmw": "international convention on the protection of the rights of all migrant workers",
    "cped": "convention for the protection of all persons from enforced disappearance",
    "icpped": "international convention for the protection of all persons from enforced "
              "disappearance",
    "nhri": "national human rights institution",
    "ngo": "non-governmental organization",
    "ngos": "non-governmental organizations",
    "ilo": "international labour organization",
    "icc": "international criminal court",
    "upr": "universal periodic review",
    "ohchr": "office of the high commissioner for human rights",
    "lgbt": "lesbian gay bisexual transgender",
    "lgbti": "lesbian gay bisexual transgender intersex",
    "fgm": "female genital mutilation",
}

#: softeners that open a recommendation without changing what it asks
_OPENERS = re.compile(
    r"^(?:(?:to\s+)?(?:consider|continue(?:\s+its\s+efforts)?(?:\s+to)?|further|"
    r"take\s+(?:all\s+)?(?:the\s+)?(?:necessary\s+|further\s+|concrete\s+|appropriate\s+)*"
    r"(?:steps|measures)\s+(?:to|towards)|make\s+efforts\s+to|strive\s+to|"
    r"endeavour\s+to|seek\s+to|study\s+the\s+possibility\s+of|"
    r"positively\s+consider|step\s+up\s+efforts\s+to|redouble\s+efforts\s+to|"
    r"intensify\s+(?:its\s+)?efforts\s+to|pursue\s+efforts\s+to|"
    r"ensure\s+that)\b[\s,]*)+"
)
_ACRONYM = re.compile(r"\b(" + "|".join(re.escape(a) for a in sorted(ACRONYMS, key=len,
                                                                          reverse=True)) + r")\b")


#: ASCII (what is left after NFKD) other than letters, digits and "-" -> space, brackets too
#: (before or after the acronyms: a bracket and a space are both non-word characters, so
#: the acronyms' word boundaries are the same either way)
_NOT_WORD = {c: " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "-")}


def normalise(text: str) -> str:
    """Lower-case ASCII words, acronyms spelt out, opening softeners dropped."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = _ACRONYM.sub(lambda m: ACRONYMS[m.group(1)], text)
    text = " ".join(text.translate(_NOT_WORD).split())
    stripped = _OPENERS.sub("", text)
    return stripped or text


#: the instruments recommendations most often ask to ratify, by a phrase that names each
#: (matched in normalised text, acronyms already spelt out)
TREATIES: dict[str, str] = {
    "migrant": r"migrant workers",
    "ced": r"enforced disappearance",
    "statelessness": r"statelessness|stateless persons",
    "cat": r"against torture",
    "icescr": r"economic social and cultural rights",
    "iccpr": r"civil and political rights",
    "crc": r"rights of the child",
    "crpd": r"persons with disabilities",
    "cedaw": r"discrimination against women",
    "cerd": r"racial discrimination",
    "istanbul": r"istanbul convention|violence against women and domestic violence",
    "icc": r"international criminal court|rome statute",
    "ilo189": r"\b189\b",
    "ilo169": r"\b169\b",
    "unesco-education": r"discrimination in education",
}
_TREATY_PATTERNS = {name: re.compile(pattern) for name, pattern in TREATIES.items()}
#: (name, phrase): a pattern matches only where the text holds one of its phrases (a
#: substring test is far cheaper than a search); without word boundaries, that is a match
_TREATY_PHRASES = tuple((name, phrase) for name, pattern in TREATIES.items()
                        for phrase in pattern.replace(r"\b", "").split("|"))
_BOUNDED = frozenset(name for name, pattern in TREATIES.items() if "\\" in pattern)
_INSTRUMENT = re.compile(r"\b(?:ratif\w*|accede|accession|sign\w*|protocol|convention|covenant)\b")
#: a text without one of these has no match of _INSTRUMENT (a cheap test for the many)
_INSTRUMENT_WORDS = ("ratif", "accede", "accession", "sign", "protocol", "convention",
                     "covenant")


def instruments(text: str) -> frozenset[str]:
    """The instruments a recommendation to ratify or accede names (empty if it asks no such)."""
    return named_instruments(normalise(text))


def named_instruments(norm: str) -> frozenset[str]:
    """:func:`instruments` of a text already normalised (:func:`normalise`)."""
    if not any(w in norm for w in _INSTRUMENT_WORDS) or not _INSTRUMENT.search(norm):
        return frozenset()
    held = {name for name, phrase in _TREATY_PHRASES if phrase in norm}
    return frozenset(n for n in held
                     if n not in _BOUNDED or _TREATY_PATTERNS[n].search(norm) is not None)


def normalised(texts: Iterable[str]) -> dict[str, str]:
    """Each distinct text -> :func:`normalise` of it (repeated texts normalised once)."""
    return {t: normalise(t) for t in set(texts)}
