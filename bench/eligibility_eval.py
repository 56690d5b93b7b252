"""Benchmark: the seed program catalogue (current rule versions) against generated households.

Run:  cd /work/main && uv run python bench/eligibility_eval.py [--households 20000] [--seed 1]

Compile once, evaluate many: each household's context is converted once (plain dict ->
``cel.Context``) and reused for every criterion of every program. Single process, one core.
Prints four figures:
  explain  - ``CompiledRule.evaluate`` (every criterion, values read, full explanation tree)
  router   - ``CompiledRule.verdict`` (every criterion's result, what a decision stores), and
             ``explain`` of the eligible programs only (what a referral carries)
  verdict  - ``CompiledRule.check`` (verdict only, short-circuits)
  to_cel   - building the plain dict from the pydantic ``EvaluationContext`` (per household)
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
try:
    import rujukan_eligibility  # noqa: F401
except ImportError:  # the workspace root does not install the package (yet)
    sys.path.insert(0, str(ROOT / "libs" / "eligibility" / "src"))

from rujukan_eligibility.catalogue import load_seed_programs  # noqa: E402
from rujukan_eligibility.context import NEEDS, EvaluationContext  # noqa: E402
from rujukan_eligibility.rules import PreparedContext, names_used  # noqa: E402

SEED_DIR = ROOT / "services" / "program-registry" / "seed" / "programs"
VILLAGES = ["33.04.01.2001", "33.04.02.2005", "33.16.03.2010", "18.13.04.2002", "31.71.01.1001"]


def member(rng: random.Random, relationship: str, age: int) -> dict[str, Any]:
    sex = rng.choice(["female", "male"])
    if relationship == "head":
        sex = "male" if rng.random() < 0.85 else "female"
    elif relationship == "spouse":
        sex = "female"
    pregnant = sex == "female" and 16 <= age <= 45 and rng.random() < 0.08
    if age < 6:
        schooling = "not_yet"
    elif age <= 18:
        schooling = "in_school" if rng.random() < 0.9 else "not_in_school"
    elif age <= 21:
        schooling = rng.choice(["in_school", "not_in_school", "completed_12y"])
    else:
        schooling = "completed_12y" if rng.random() < 0.4 else "not_in_school"
    r = rng.random()
    disability = "none" if r < 0.9 else "mild" if r < 0.95 else "moderate" if r < 0.98 else "severe"
    return {
        "age": age,
        "age_months": age * 12 + rng.randrange(12),
        "sex": sex,
        "relationship": relationship,
        "pregnant": pregnant,
        "breastfeeding": sex == "female" and not pregnant and rng.random() < 0.05,
        "disability": disability,
        "schooling": schooling,
        "working": 18 <= age <= 65 and rng.random() < 0.6,
    }


def household(rng: random.Random) -> dict[str, Any]:
    head_age = rng.randint(20, 80)
    members = [member(rng, "head", head_age)]
    if rng.random() < 0.8:
        members.append(member(rng, "spouse", max(18, head_age + rng.randint(-8, 3))))
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
        members.append(member(rng, "child", rng.randint(0, max(0, min(30, head_age - 18)))))
    if rng.random() < 0.15:
        members.append(member(rng, "parent", rng.randint(60, 95)))
    found = rng.random() < 0.75
    registry: dict[str, Any] = {
        "found": found,
        "enrolments": rng.sample(["PKH", "SEMBAKO", "PBI-JK", "PIP"], rng.randint(0, 2))
        if found
        else [],
        "has_kks": found and rng.random() < 0.5,
    }
    if found:
        registry["decile"] = rng.randint(1, 10)
    village = rng.choice(VILLAGES)
    p = village.split(".")
    return {
        "members": members,
        "registry": registry,
        "region": {
            "province": p[0],
            "district": ".".join(p[:2]),
            "subdistrict": ".".join(p[:3]),
            "village": village,
        },
        "needs": rng.sample(list(NEEDS), rng.randint(1, 3)),
        "household": {
            "size": len(members),
            "owns_land": rng.random() < 0.6,
            "house_below_standard": rng.random() < 0.2,
            "missing_documents": ["birth_certificate"] if rng.random() < 0.1 else [],
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n = args.households
    rng = random.Random(args.seed)

    t0 = time.perf_counter()
    programs = load_seed_programs(SEED_DIR)
    rules = [p.compiled() for p in programs]  # the version in effect today
    t_compile = time.perf_counter() - t0
    n_criteria = sum(r.criteria_count for r in rules)
    keep = names_used(rules)  # project the CEL side down to the keys these rules can read
    data = [household(rng) for _ in range(n)]

    # explain: full evaluation with explanations
    eligible = 0
    t0 = time.perf_counter()
    for d in data:
        ctx = PreparedContext(d, keep)
        for r in rules:
            if r.evaluate(ctx).eligible:
                eligible += 1
    t_explain = time.perf_counter() - t0

    # the router's path: every criterion's result (verdict), explained only where eligible
    eligible3 = 0
    t0 = time.perf_counter()
    for d in data:
        ctx = PreparedContext(d, keep)
        for r in rules:
            v = r.verdict(ctx)
            if v.eligible:
                eligible3 += 1
                r.explain(d, v)
    t_verdict = time.perf_counter() - t0
    assert eligible == eligible3, (eligible, eligible3)

    # verdict only
    eligible2 = 0
    t0 = time.perf_counter()
    for d in data:
        ctx = PreparedContext(d, keep)
        for r in rules:
            if r.check(ctx):
                eligible2 += 1
    t_check = time.perf_counter() - t0
    assert eligible == eligible2, (eligible, eligible2)

    # context conversion only: plain dict -> cel.Context, projected and whole
    t0 = time.perf_counter()
    for d in data:
        PreparedContext(d, keep)
    t_prepare = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d in data:
        PreparedContext(d)
    t_prepare_full = time.perf_counter() - t0

    # pydantic model -> plain dict (to_cel), on pre-validated models
    models = [EvaluationContext.model_validate(d) for d in data[: min(n, 5000)]]
    t0 = time.perf_counter()
    for m in models:
        m.to_cel()
    t_to_cel = (time.perf_counter() - t0) / len(models)

    print(f"python {platform.python_version()} on {platform.machine()}, one process")
    print(f"programs: {len(rules)}, criteria evaluated per household: {n_criteria}")
    print(f"catalogue load+validate+compile: {t_compile * 1e3:.1f} ms")
    print(f"households: {n}, eligible (household, program) pairs: {eligible}")
    for label, t in (
        ("explain (evaluate)", t_explain),
        ("router (verdict+)", t_verdict),
        ("verdict (check)", t_check),
    ):
        print(
            f"{label:20s}: {n / t:9.0f} households/s  "
            f"{t / n * 1e6:7.1f} us/household  {t / (n * n_criteria) * 1e6:5.2f} us/criterion"
        )
    print(f"{'prepare cel.Context':20s}: {t_prepare / n * 1e6:7.1f} us/household (included above)")
    print(f"{'  without projection':20s}: {t_prepare_full / n * 1e6:7.1f} us/household (not used)")
    print(f"{'to_cel from pydantic':20s}: {t_to_cel * 1e6:7.1f} us/household (not included above)")


if __name__ == "__main__":
    main()
