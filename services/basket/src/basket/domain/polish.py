"""Polish text for search: normalisation (case, diacritics) and a light suffix-stripping stemmer.

PostgreSQL has no Polish text-search configuration, so the basket stems in Python on write and on
query, and stores the stems as a 'simple' tsvector (see docs/adr/0010-polish-search.md). The
stemmer only has to be consistent between documents and queries: it strips the inflectional
endings of nouns, adjectives and verbs after removing diacritics, keeping a stem of at least four
letters, and folds a few frequent stem alternations (dziecko/dzieci, the mobile e of -ek/-ka).
"""

from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans({"ł": "l", "Ł": "l"})
_WORD = re.compile(r"[a-z0-9]+")

STOPWORDS = frozenset(
    [
        "a",
        "aby",
        "albo",
        "ale",
        "bez",
        "by",
        "być",
        "czy",
        "dla",
        "do",
        "i",
        "ich",
        "ile",
        "im",
        "in",
        "jak",
        "jaki",
        "jest",
        "jestem",
        "jezeli",
        "już",
        "ku",
        "lub",
        "ma",
        "mam",
        "mi",
        "mnie",
        "moj",
        "moja",
        "na",
        "nad",
        "nas",
        "nie",
        "niz",
        "o",
        "od",
        "oraz",
        "po",
        "pod",
        "przez",
        "przy",
        "sa",
        "sie",
        "swoj",
        "ta",
        "tak",
        "te",
        "tego",
        "tej",
        "ten",
        "to",
        "tu",
        "tym",
        "u",
        "w",
        "we",
        "wie",
        "z",
        "za",
        "ze",
        "że",
        "co",
        "gdzie",
        "kto",
        "ktory",
        "ktora",
        "ktore",
    ]
)
STOPWORDS = frozenset(s.translate(_FOLD) for s in STOPWORDS) | frozenset(
    {"jezeli", "ze", "sa", "sie", "moj", "niz"}
)

# Longest first: the first ending that leaves a long enough stem is stripped.
_SUFFIXES = sorted(
    [
        "owanie",
        "owania",
        "owaniu",
        "owaniem",
        "owaniami",
        "owaniach",
        "ością",
        "oscia",
        "oscią",
        "osci",
        "osciami",
        "osciach",
        "osc",
        "iczny",
        "iczna",
        "iczne",
        "icznej",
        "icznego",
        "icznemu",
        "icznym",
        "icznych",
        "icznymi",
        "iczni",
        "yczny",
        "yczna",
        "yczne",
        "ycznej",
        "ycznego",
        "ycznemu",
        "ycznym",
        "ycznych",
        "ycznymi",
        "yczni",
        "owy",
        "owa",
        "owe",
        "owej",
        "owego",
        "owemu",
        "owym",
        "owych",
        "owymi",
        "owi",
        "ego",
        "emu",
        "ymi",
        "ych",
        "ami",
        "ach",
        "iem",
        "iom",
        "ich",
        "imi",
        "om",
        "ow",
        "owie",
        "ie",
        "ia",
        "iu",
        "ii",
        "ym",
        "ej",
        "ow",
        "a",
        "e",
        "i",
        "o",
        "u",
        "y",
    ],
    key=len,
    reverse=True,
)
_SUFFIXES = [s.translate(_FOLD) for s in _SUFFIXES]
_MIN_STEM = 4

# Stems of frequent words whose inflection changes the stem itself, mapped to one form.
_IRREGULAR = {
    "dzieck": "dziec",
    "dzieci": "dziec",
    "dziec": "dziec",
    "ludz": "czlowiek",
    "ludzi": "czlowiek",
    "czlowiek": "czlowiek",
    "bezroboc": "bezrobot",
    "bezrobotn": "bezrobot",
    "niepelnosprawn": "niepelnosprawn",
    "mlodziez": "mlodziez",
    "rodzic": "rodzic",
    "matk": "matk",
    "matc": "matk",
    "seniorz": "senior",
    "osob": "osob",
    "osobie": "osob",
    "lekarz": "lekarz",
    "lekarsk": "lekarz",
}


def fold(text: str) -> str:
    """Lower case without diacritics (ą→a, ł→l, ż→z …): how people type without Polish keys."""
    lowered = text.lower().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def stem(word: str) -> str:
    """The stem of one folded word."""
    if len(word) <= _MIN_STEM or word.isdigit():
        return _IRREGULAR.get(word, word)
    result = word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            result = word[: -len(suffix)]
            break
    # Soften a final consonant alternation left by some endings (pomocy → pomoc, terapii → terap).
    if result.endswith("i") and len(result) > _MIN_STEM:
        result = result[:-1]
    if result in _IRREGULAR:
        return _IRREGULAR[result]
    # The mobile e: noworodek/noworodka, chłopiec/chłopca.
    if len(result) > _MIN_STEM + 1 and result[-3:] == "iec":
        result = result[:-3] + "c"
    elif len(result) > _MIN_STEM + 1 and result[-2:] in ("ek", "ec"):
        result = result[:-2] + result[-1]
    return result


def stems(text: str) -> list[str]:
    """Stems of the meaningful words of `text`, in order, without repeats."""
    return list(dict.fromkeys(stem(w) for w in words(text) if w not in STOPWORDS))


def vocabulary(text: str) -> dict[str, str]:
    """The meaningful words of `text` with their stems: what a mistyped query word is matched
    against (see adapters/search.py)."""
    return {w: stem(w) for w in words(text) if w not in STOPWORDS and len(w) >= 4}
