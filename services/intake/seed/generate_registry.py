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
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "registry.csv"
SEED = 3304  # Kabupaten Banjarnegara
GENERATED = 10_000
HEADER = "kk,decile,enrolments,has_kks"

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

    def row(self) -> str:
        kks = "true" if self.has_kks else "false"
        return f"{self.kk},{self.decile},{';'.join(self.enrolments)},{kks}"


def households() -> Iterator[Household]:
    """Every household of the seed registry, in the CSV's order."""
    for line in HAND_WRITTEN:
        kk, decile, enrolments, kks = line.split(",")
        codes = tuple(enrolments.split(";")) if enrolments else ()
        yield Household(kk, HAND_WRITTEN_VILLAGE, int(decile), codes, kks == "true")
    rng = random.Random(SEED)
    villages, weights = list(VILLAGES), list(VILLAGES.values())
    taken = {line.split(",")[0] for line in HAND_WRITTEN}
    for _ in range(GENERATED):
        village = rng.choices(villages, weights)[0]
        decile = rng.choices(range(1, 11), DECILE_WEIGHTS)[0]
        kk = _new_kk(rng, village, taken)
        yield _enrol(rng, kk, village, decile)


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
