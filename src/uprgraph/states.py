"""Country names -> ISO 3166-1 alpha-3 / alpha-2 and UN M49 codes.

Names are matched against pycountry (ISO names, common and official names,
codes) and against the UN's own short names and the spellings found in UPR
Info exports ("Iran (Islamic Republic of)", "DPR Korea", "St Lucia", ...).
Matching folds case, accents, "&"/"and", punctuation and whitespace (also
spaces and line breaks inside a word, as Word matrices have them: "Slov enia"),
and knows official former names ("Swaziland", "Zaire", "Burma"). A name that
still does not match raises :class:`UnknownState` with the closest known names
(rapidfuzz), which the importers report with the file and row ("did you mean
Slovenia?"). Nothing is guessed.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

import pycountry
from rapidfuzz import fuzz, process


class UnknownState(ValueError):
    """A country name that matches no state; ``candidates``: the closest state names."""

    def __init__(self, name: str, candidates: tuple[str, ...] = ()) -> None:
        hint = f" (did you mean {' or '.join(candidates)}?)" if candidates else ""
        super().__init__(f"unknown state {name!r}{hint}")
        self.name = name
        self.candidates = candidates


@dataclass(frozen=True, order=True)
class State:
    iso3: str
    iso2: str
    m49: str
    #: the UN short name where it differs from the ISO name, else the ISO name
    label: str


#: UN short names (as used in UN documents and OHCHR matrices) where they differ
#: from pycountry's ISO names; they also become the states' labels.
UN_NAMES: dict[str, str] = {
    "BOL": "Bolivia (Plurinational State of)",
    "COD": "Democratic Republic of the Congo",
    "COG": "Congo",
    "CIV": "Côte d'Ivoire",
    "CZE": "Czechia",
    "FSM": "Micronesia (Federated States of)",
    "GBR": "United Kingdom of Great Britain and Northern Ireland",
    "IRN": "Iran (Islamic Republic of)",
    "KOR": "Republic of Korea",
    "PRK": "Democratic People's Republic of Korea",
    "LAO": "Lao People's Democratic Republic",
    "MDA": "Republic of Moldova",
    "MKD": "North Macedonia",
    "PSE": "State of Palestine",
    "SYR": "Syrian Arab Republic",
    "TZA": "United Republic of Tanzania",
    "USA": "United States of America",
    "VAT": "Holy See",
    "VEN": "Venezuela (Bolivarian Republic of)",
    "VNM": "Viet Nam",
    "TUR": "Türkiye",
    "SWZ": "Eswatini",
    "CPV": "Cabo Verde",
    "NLD": "Netherlands",
    "BHS": "Bahamas",
    "GMB": "Gambia",
}

#: other spellings met in the sources (UPR Info exports, older UN usage).
ALIASES: dict[str, str] = {
    "Antigua & Barbuda": "ATG",
    "Bosnia & Herzegovina": "BIH",
    "Cape Verde": "CPV",
    "Czech Republic": "CZE",
    "DPR Korea": "PRK",
    "Democratic Republic of Congo": "COD",
    "Republic of Congo": "COG",
    "Republic of the Congo": "COG",
    "Guinea Bissau": "GNB",
    "Iran": "IRN",
    "Laos": "LAO",
    "Macedonia FYR": "MKD",
    "The former Yugoslav Republic of Macedonia": "MKD",
    "Micronesia": "FSM",
    "Moldova": "MDA",
    "Palestine": "PSE",
    "Sao Tome & Principe": "STP",
    "St Kitts & Nevis": "KNA",
    "St Lucia": "LCA",
    "St Vincent & the Grenadines": "VCT",
    "Swaziland": "SWZ",
    "Turkey": "TUR",
    "United Kingdom": "GBR",
    "UK": "GBR",
    "United States": "USA",
    "USA": "USA",
    "Korea": "KOR",
    "Netherlands (Kingdom of the)": "NLD",
    # official former names and other short forms
    "Burma": "MMR",
    "Zaire": "COD",
    "East Timor": "TLS",
    "Ivory Coast": "CIV",
    "Libyan Arab Jamahiriya": "LBY",
    "Brunei": "BRN",
    "Russia": "RUS",
    "Republic of Macedonia": "MKD",
    "Lao PDR": "LAO",
    "Gambia (Republic of The)": "GMB",
    "Kampuchea": "KHM",
    "Democratic Kampuchea": "KHM",
    "Western Samoa": "WSM",
    "Upper Volta": "BFA",
    "Dahomey": "BEN",
}

#: names that stand for "no state recorded" (UPR Info writes "(Unknown)").
UNKNOWN_NAMES = frozenset({"(unknown)", "unknown"})


#: how many "did you mean" candidates an unknown name gets, and how close they must be
CANDIDATES = 3
CANDIDATE_CUTOFF = 80


def _key(name: str) -> str:
    text = html.unescape(name).replace('\u2019', "'")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    text = re.sub(r"\bsaint\b", "st", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\bthe\b", " ", text)
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name", "alpha_3"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(_key(value), country.alpha_3)
    for iso3, name in UN_NAMES.items():
        index[_key(name)] = iso3
    for name, iso3 in ALIASES.items():
        index[_key(name)] = iso3
    return index


@lru_cache(maxsize=1)
def _joined_index() -> dict[str, str]:
    """The index with spaces removed: "slov enia" and "slovenia" meet."""
    joined: dict[str, str] = {}
    for key, iso3 in _index().items():
        joined.setdefault(key.replace(" ", ""), iso3)
    return joined


def candidates(name: str, limit: int = CANDIDATES) -> tuple[str, ...]:
    """The labels of the states whose names are closest to ``name`` (best first)."""
    key = _key(html.unescape(name))
    if not key:
        return ()
    keys = list(_index())
    found: list[str] = []
    for match, _score, _pos in process.extract(key, keys, scorer=fuzz.ratio,
                                               limit=limit * 4,
                                               score_cutoff=CANDIDATE_CUTOFF):
        label = by_iso3(_index()[match]).label
        if label not in found:
            found.append(label)
    return tuple(found[:limit])


@cache
def by_iso3(iso3: str) -> State:
    country = pycountry.countries.get(alpha_3=iso3.upper())
    if country is None:
        raise UnknownState(iso3)
    label = UN_NAMES.get(country.alpha_3) or getattr(country, "common_name", None) or country.name
    return State(country.alpha_3, country.alpha_2, country.numeric, label)


def is_unknown(name: str) -> bool:
    """True for the placeholders that mean "the source records no state"."""
    return html.unescape(name).strip().lower() in UNKNOWN_NAMES


@lru_cache(maxsize=4096)
def resolve(name: str) -> State:
    """The state a name (or an ISO code) denotes; :class:`UnknownState` if none."""
    cleaned = " ".join(html.unescape(name).split())
    if not cleaned:
        raise UnknownState(name)
    if re.fullmatch(r"[A-Za-z]{2}", cleaned):
        country = pycountry.countries.get(alpha_2=cleaned.upper())
        if country is not None:
            return by_iso3(country.alpha_3)
    key = _key(cleaned)
    iso3 = _index().get(key) or _joined_index().get(key.replace(" ", ""))
    if iso3 is None:
        raise UnknownState(name, candidates(cleaned))
    return by_iso3(iso3)


def is_state(name: str) -> bool:
    try:
        resolve(name)
    except UnknownState:
        return False
    return True
