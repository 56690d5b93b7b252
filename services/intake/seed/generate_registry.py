"""Generate the seed social registry (``registry.csv``): households in Banjarnegara villages.

    uv run python services/intake/seed/generate_registry.py           # rewrite registry.csv
    uv run python services/intake/seed/generate_registry.py --check   # exit 1 if it is stale

Deterministic (one seeded RNG, no network): the same script always writes the same file, and a
test holds that the committed CSV is exactly what it writes. The households are synthetic; only
the region codes are real (Kemendagri, ``rujukan_regions``). Why these places and these shares:

* Susukan (33.04.01), where the four hand-written households of the tests and docs live (they
  stay first and unchanged), and Banjarnegara (33.04.06) and Pagedongan (33.04.20), the two
  Puskesos-SLRT pilot sub-districts of 2021 (shared/seeds/000_*.txt). Kelurahan (1xxx) have no
  village fund, so no BLT-DD; desa (2xxx) each run their own BLT-DD-<village code>.
* Deciles skew low, as the registry (DTKS) held the poorest ~40 % before DTSEN ranked everyone.
* Enrolments follow the programs' targeting: PKH and SEMBAKO in deciles 1-4 (most PKH families
  also get SEMBAKO), PBI-JK widest, PIP for some low-decile families, and the village's BLT-DD
  only for poor families in neither PKH nor SEMBAKO (the BLT-DD rule's own exclusion). A KKS
  welfare card comes with PKH or SEMBAKO (it is how they are paid), rarely without.
* A KK is ``PPRRSS DDMMYY XXXX``: the sub-district, the card's issue date, a serial. The CSV
  has no village column (the loader's format); a household's village is only in this script
  (``households()``) and in its BLT-DD enrolment's code.
* Each generated household lists its members' NIKs (``niks``), so the registry check finds a
  family by NIK when its KK is mistyped: a head, most often a spouse, children born to parents
  of 18 to 45, sometimes an elderly parent. A NIK is ``PPRRSS DDMMYY XXXX``: the sub-district of
  issue, the birth date (women: day + 40), a serial unique in the file. Members come from an RNG
  of their own, seeded by the KK, so the other columns are what they were without them. The
  hand-written households list none: tests post their members under other KKs on purpose.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "registry.csv"
SEED = 3304  # Kabupaten Banjarnegara
GENERATED = 10_000
HEADER = "kk,decile,enrolments,has_kks,niks"

#: seeded villages: Kemendagri code → relative number of registry households
VILLAGES: dict[str, int] = {
    "33.04.01.2001": 12,  # Berta (Susukan)
    "33.04.01.2003": 10,  # Gumelem Wetan (Susukan)
    "33.04.01.2012": 8,  # Susukan (Susukan)
    "33.04.06.1010": 9,  # Parakancanggah, kelurahan (Banjarnegara)
    "33.04.06.1013": 7,  # Kutabanjarnegara, kelurahan (Banjarnegara)
    "33.04.06.2002": 8,  # Ampelsari (Banjarnegara)
    "33.04.06.2004": 7,  # Cendana (Banjarnegara)
    "33.04.20.2001": 14,  # Pagedongan (Pagedongan)
    "33.04.20.2002": 13,  # Gunungjati (Pagedongan)
    "33.04.20.2007": 12,  # Duren (Pagedongan)
}
#: registry households per decile (1..10), lower deciles first, as in DTKS
DECILE_WEIGHTS = (22, 18, 15, 12, 9, 7, 6, 5, 3.5, 2.5)
#: chance of each enrolment by decile (index 0 = decile 1)
PKH = (0.45, 0.35, 0.20, 0.10, 0, 0, 0, 0, 0, 0)
SEMBAKO = (0.55, 0.45, 0.35, 0.20, 0.05, 0, 0, 0, 0, 0)
SEMBAKO_WITH_PKH = 0.85
PBI_JK = (0.80, 0.70, 0.60, 0.45, 0.25, 0.20, 0.05, 0.03, 0.02, 0.01)
PIP = (0.25, 0.25, 0.20, 0.15, 0.10, 0.05, 0, 0, 0, 0)
BLT_DD = (0.35, 0.35, 0.30, 0.20, 0.10, 0, 0, 0, 0, 0)  # of families in neither PKH nor SEMBAKO
KKS_WITH_AID, KKS_WITHOUT = 0.95, 0.03
ISSUED_FROM, ISSUED_DAYS = date(2008, 1, 1), (date(2025, 12, 31) - date(2008, 1, 1)).days
#: members: a head aged 20-75 (a woman in 15 % of households), a spouse in 80 %, 0-5 children,
#: an elderly parent of the head in 10 %
HEAD_AGES, FEMALE_HEAD, SPOUSE, ELDER_PARENT = (20, 75), 0.15, 0.80, 0.10
CHILDREN_WEIGHTS = (15, 22, 30, 18, 10, 5)
AS_OF_YEAR = 2026

#: the hand-written households tests and docs use (Berta, Susukan): first, unchanged
HAND_WRITTEN = (
    "3304010101200001,2,,true",
    "3304010101200002,3,SEMBAKO,true",
    "3304010101200003,7,,false",
    "3304010101200004,1,PKH;SEMBAKO;PBI-JK,true",
)
HAND_WRITTEN_VILLAGE = "33.04.01.2001"


def blt_dd_code(village: str) -> str:
    """The program code of a village's BLT-DD: ``BLT-DD-3304012001``."""
    return "BLT-DD-" + village.replace(".", "")


def is_desa(village: str) -> bool:
    """A desa (2xxx) has a village fund, a kelurahan (1xxx) does not."""
    return village.rsplit(".", 1)[1].startswith("2")


@dataclass(frozen=True, slots=True)
class Household:
    kk: str
    village: str
    decile: int
    enrolments: tuple[str, ...]
    has_kks: bool
    niks: tuple[str, ...] = ()

    def row(self) -> str:
        kks = "true" if self.has_kks else "false"
        return f"{self.kk},{self.decile},{';'.join(self.enrolments)},{kks},{';'.join(self.niks)}"


def households() -> Iterator[Household]:
    """Every household of the seed registry, in the CSV's order."""
    for line in HAND_WRITTEN:
        kk, decile, enrolments, kks = line.split(",")
        codes = tuple(enrolments.split(";")) if enrolments else ()
        yield Household(kk, HAND_WRITTEN_VILLAGE, int(decile), codes, kks == "true")
    rng = random.Random(SEED)
    villages, weights = list(VILLAGES), list(VILLAGES.values())
    taken = {line.split(",")[0] for line in HAND_WRITTEN}
    niks_taken: set[str] = set()
    for _ in range(GENERATED):
        village = rng.choices(villages, weights)[0]
        decile = rng.choices(range(1, 11), DECILE_WEIGHTS)[0]
        kk = _new_kk(rng, village, taken)
        household = _enrol(rng, kk, village, decile)
        yield replace(household, niks=_member_niks(kk, niks_taken))


def _new_kk(rng: random.Random, village: str, taken: set[str]) -> str:
    subdistrict = village.replace(".", "")[:6]
    while True:
        issued = ISSUED_FROM + timedelta(days=rng.randrange(ISSUED_DAYS + 1))
        kk = f"{subdistrict}{issued:%d%m%y}{rng.randrange(1, 10_000):04d}"
        if kk not in taken:
            taken.add(kk)
            return kk


def _enrol(rng: random.Random, kk: str, village: str, decile: int) -> Household:
    i = decile - 1
    pkh = rng.random() < PKH[i]
    sembako = rng.random() < (SEMBAKO_WITH_PKH if pkh else SEMBAKO[i])
    codes = ["PKH"] if pkh else []
    if sembako:
        codes.append("SEMBAKO")
    if rng.random() < PBI_JK[i]:
        codes.append("PBI-JK")
    if rng.random() < PIP[i]:
        codes.append("PIP")
    if is_desa(village) and not (pkh or sembako) and rng.random() < BLT_DD[i]:
        codes.append(blt_dd_code(village))
    has_kks = rng.random() < (KKS_WITH_AID if pkh or sembako else KKS_WITHOUT)
    return Household(kk, village, decile, tuple(codes), has_kks)


def _member_niks(kk: str, taken: set[str]) -> tuple[str, ...]:
    """The NIKs of a household's members, the head first."""
    rng = random.Random(int(kk))
    head_female = rng.random() < FEMALE_HEAD
    head_born = AS_OF_YEAR - rng.randint(*HEAD_AGES)
    people = [(head_born, head_female)]
    if rng.random() < SPOUSE:
        people.append((min(head_born + rng.randint(-6, 4), AS_OF_YEAR - 19), not head_female))
    mother_born = max(born for born, female in people if female) if len(people) > 1 else head_born
    children = rng.choices(range(len(CHILDREN_WEIGHTS)), CHILDREN_WEIGHTS)[0]
    first, last = mother_born + 18, min(mother_born + 45, AS_OF_YEAR - 1)
    for _ in range(children if first <= last else 0):
        people.append((rng.randint(first, last), rng.random() < 0.5))
    if rng.random() < ELDER_PARENT and head_born - 20 >= AS_OF_YEAR - 95:
        people.append((head_born - rng.randint(20, 30), rng.random() < 0.6))
    return tuple(_nik(rng, kk[:6], born, female, taken) for born, female in people)


def _nik(rng: random.Random, region: str, year: int, female: bool, taken: set[str]) -> str:
    born = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    day = born.day + 40 if female else born.day
    while True:
        nik = f"{region}{day:02d}{born:%m%y}{rng.randrange(1, 10_000):04d}"
        if nik not in taken:
            taken.add(nik)
            return nik


def render() -> str:
    """The whole CSV, as committed."""
    return "\n".join([HEADER, *(h.row() for h in households())]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if registry.csv is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        stale = not OUT.exists() or OUT.read_text(encoding="utf-8") != text
        print(f"{OUT.name}: {'stale, re-run the generator' if stale else 'up to date'}")
        return 1 if stale else 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({text.count(chr(10)) - 1} households)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
