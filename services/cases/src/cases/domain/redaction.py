"""Finding a removed family member's personal data in the case's free text (ADR 0017).

What is certain is replaced by a neutral marker; what only may be the person (an inflected or
diminutive form of a name, a name that is also a common word, a name another person of the
family shares) is left in place and reported as fragments for the case manager to redact.

The rules, in order, on each text:

1. The PESEL, its 11 digits also with spaces or hyphens between them: replaced.
2. The date of birth the PESEL encodes, as written in Polish texts (15.03.1985, 15-03-1985,
   15/03/1985, 1985-03-15, 15 marca 1985, with or without a leading zero): replaced.
3. The full name, first and last in either order, as entered: replaced.
4. A name word as entered (the first name, the last name, each part of a hyphenated one), as a
   whole word with the same capitals: replaced — unless it is also a common Polish word (Róża,
   Wiktoria…, Zima, Lis…; "common_word") or another remaining person of the family has a name
   of the same stem (two people share the surname; "shared"): then reported.
5. A name word written in lower case (lis, zima): reported ("common_word").
6. A word of the name's stem, not the name itself (Kowalskiego, Kowalskiej, Kowalscy for
   Kowalski; Anny, Annie for Anna): reported ("inflected"); and for first names, a capitalised
   word starting like the name (Ani, Ania, Anka for Anna; Bartek for Bartłomiej) that is not a
   common word: reported ("inflected"). Words equal to a remaining person's own name are left
   alone (they name someone who stays).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

MARKER = "[osoba usunięta]"

MONTHS_GENITIVE = (
    "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
    "września", "października", "listopada", "grudnia",
)  # fmt: skip

# Names (or their forms) that are also ordinary Polish words, and words that begin sentences and
# share the first letters of common first names: such a match is never replaced automatically.
COMMON_WORDS = frozenset(
    re.findall(
        r"\w+",
        """
    róża róży różą różę lilia lilii kalina kaliny jagoda jagody malwina wiktoria wiktorii
    nadzieja nadziei wiara wiary maja zima zimy lis lisa wróbel wróbla kos kosa sowa sowy
    baran barana wilk wilka mróz mrozu kowal kowala młynarz krawiec kamień kamienia góra góry
    las lasu zając zająca sikora sikory kot kota koza kozy ryba ryby wesoła wesoły dobry dobra
    mały mała biały biała czarny czarna pan pani ja jak jako jaki jakie jaka jest jeszcze już
    ale albo ano marzec lipiec lipca grudzień mama mamy mamie mamą brat brata siostra siostry
    tata taty syn syna córka córki bardzo barwa był była było matka matki marka kasa kasy
    ankieta ankiety ankietę bartnik
    """,
    )
)

_WORD = re.compile(r"\w+", re.UNICODE)
_VOWELS = "aeiouyąęó"
_ADJECTIVAL = ("ski", "ska", "cki", "cka", "dzki", "dzka")


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    pesel: str | None = None
    birth_date: date | None = None

    def words(self) -> list[str]:
        """The name words: the first name(s) and each part of the last name."""
        return [w for w in re.split(r"[\s\-]+", f"{self.first_name} {self.last_name}") if w]


@dataclass
class Scrubbed:
    text: str
    replaced: int = 0
    fragments: list[str] = field(default_factory=list)
    reasons: set[str] = field(default_factory=set)

    def report(self, fragment: str, reason: str) -> None:
        if fragment not in self.fragments:
            self.fragments.append(fragment)
        self.reasons.add(reason)


def stem(word: str) -> str:
    """The part of a name its Polish forms share: Kowals(ki), Ann(a), Bartłomiej."""
    w = word.lower()
    for ending in _ADJECTIVAL:
        if w.endswith(ending) and len(w) - len(ending) >= 3:
            # Kowalski → kowals: Kowalskiego, Kowalskiej, Kowalską and the plural Kowalscy.
            return w[: -len(ending)] + ending[:-2]
    stripped = w.rstrip(_VOWELS)
    return stripped if len(stripped) >= 3 else w[:3]


def _short(word: str) -> str:
    """The start of a first name its diminutives share: An(na) → Ania, Ani; Bar(tłomiej)."""
    w = word.lower()
    return w[:3] if len(w) >= 5 else w[:2]


def _date_patterns(born: date) -> list[str]:
    d, m, y = born.day, born.month, born.year
    days = {f"{d}", f"{d:02d}"}
    months = {f"{m}", f"{m:02d}"}
    out = [rf"{y}\s*[-./]\s*{m:02d}\s*[-./]\s*{d:02d}"]
    for dd in days:
        for mm in months:
            out.append(rf"{dd}\s*[./\-]\s*{mm}\s*[./\-]\s*{y}")
        out.append(rf"{dd}\s+{MONTHS_GENITIVE[m - 1]}\s+{y}")
    return out


def _replace(pattern: str, text: str, flags: int = 0) -> tuple[str, int]:
    return re.subn(rf"(?<!\w){pattern}(?!\w)", MARKER, text, flags=flags)


def scrub(text: str, person: Person, others: Sequence[Person] = ()) -> Scrubbed:
    """The text with what is certainly the person replaced, and what may be reported."""
    out = Scrubbed(text)

    def sub(pattern: str, flags: int = 0) -> None:
        out.text, n = _replace(pattern, out.text, flags)
        out.replaced += n

    if person.pesel:
        sub(r"[\s\-]?".join(person.pesel))
    if person.birth_date:
        for pattern in _date_patterns(person.birth_date):
            sub(pattern, re.IGNORECASE)
    first, last = re.escape(person.first_name.strip()), re.escape(person.last_name.strip())
    sub(rf"{first}\s+{last}")
    sub(rf"{last}\s+{first}")

    other_words = {w.lower() for o in others for w in o.words()}
    other_stems = {stem(w) for w in other_words}
    words = person.words()
    for word in words:
        if len(word) < 2:
            continue
        if word.lower() in COMMON_WORDS:
            for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", out.text, re.IGNORECASE):
                out.report(m.group(0), "common_word")
        elif stem(word) in other_stems or word.lower() in other_words:
            for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", out.text, re.IGNORECASE):
                out.report(m.group(0), "shared")
        else:
            sub(re.escape(word))
            for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", out.text, re.IGNORECASE):
                out.report(m.group(0), "common_word")  # the name in other capitals

    marker_words = {w.lower() for w in _WORD.findall(MARKER)}
    first_words = {w.lower() for w in re.split(r"\s+", person.first_name) if w}
    for m in _WORD.finditer(out.text):
        w = m.group(0)
        lw = w.lower()
        if lw in marker_words or lw in other_words or any(lw == x.lower() for x in words):
            continue
        for word in words:
            if len(word) < 2 or len(w) > len(word) + 4:
                continue
            if lw.startswith(stem(word)):
                out.report(w, "shared" if stem(word) in other_stems else "inflected")
                break
            if (
                word.lower() in first_words
                and w[0].isupper()
                and lw.startswith(_short(word))
                and lw not in COMMON_WORDS
            ):
                out.report(w, "inflected")
                break
    return out


def redact(text: str, fragments: Iterable[str]) -> tuple[str, int]:
    """The text with each fragment, as a whole word, replaced by the marker."""
    total = 0
    for fragment in sorted(set(fragments), key=len, reverse=True):
        text, n = _replace(re.escape(fragment), text)
        total += n
    return text, total
