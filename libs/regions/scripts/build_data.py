#!/usr/bin/env python3
# ruff: noqa: E501  (long lines are in the SOURCE.md template)
"""Regenerate ``rujukan_regions/data/`` from the npm package ``idn-area-data``.

Usage (from the repository root)::

    # online: fetches the tarball with `npm pack` into a temporary directory
    python libs/regions/scripts/build_data.py --version 4.0.1

    # offline: use a tarball you already have
    python libs/regions/scripts/build_data.py --tarball /tmp/idn-area-data-4.0.1.tgz

The script reads ``package/data/{provinces,regencies,districts,villages}.csv``
straight out of the tarball (no unpacking), validates every code and parent
link, and writes:

* ``regions.csv.gz`` - one row per region: ``code,name,level,parent``, sorted
  by code, codes in dotted Kemendagri form (``33``, ``33.04``, ``33.04.01``,
  ``33.04.01.2001``).  Written with a fixed gzip mtime so identical input gives
  byte-identical output.
* ``meta.json`` - source package, version, tarball sha256, regulation,
  generation date, row counts (read by ``Regions.source``).
* ``SOURCE.md`` - the same facts for humans.
* ``LICENSE-DATA.md`` - the data licence (ODbL 1.0) copied from the tarball.

Only the standard library is needed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import io
import itertools
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "idn-area-data"
DEFAULT_VERSION = "4.0.1"
DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "rujukan_regions" / "data"

# The npm tarball does not ship the upstream's docs/references.md, so the
# regulation each release is based on is recorded here.  Verified against
# github.com/fityannugroho/idn-area-data at tag v4.0.1 (commit b36d0792,
# 2026-02-20): docs/references.md lists REF-2025-1 as the newest source, and the
# data files were last changed by "feat: data update 2025 (#346)", 2025-08-14.
REGULATIONS: dict[str, str] = {
    "4.0.1": (
        "Keputusan Menteri Dalam Negeri (Kepmendagri) Nomor 300.2.2-2L38 Tahun 2025 "
        "tentang Pemberian dan Pemutakhiran Kode, Data Wilayah Administrasi "
        "Pemerintahan, dan Pulau (upstream reference REF-2025-1, "
        "https://jdih.kemendagri.go.id/dokumen/view?id=1937)"
    ),
}
UPSTREAM_NOTES: dict[str, str] = {
    "4.0.1": (
        "git tag v4.0.1 = commit b36d0792e039555eee86bda3d3092cdfcacb16f4 (2026-02-20); "
        "data last updated by commit 11d3385 'feat: data update 2025 (#346)' (2025-08-14)"
    ),
}

# level name, source file, parent column, code pattern
LEVELS: list[tuple[str, str, str | None, re.Pattern[str]]] = [
    ("province", "provinces.csv", None, re.compile(r"[0-9]{2}")),
    ("regency", "regencies.csv", "province_code", re.compile(r"[0-9]{2}\.[0-9]{2}")),
    ("district", "districts.csv", "regency_code", re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}")),
    (
        "village",
        "villages.csv",
        "district_code",
        re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}"),
    ),
]
COMPACT_LENGTHS = {2: 0, 4: 1, 6: 2, 10: 3}  # digits -> level index


def dotted(code: str, level_index: int) -> str:
    """Normalise a source code to dotted form (the 4.0.1 data already is dotted)."""
    code = code.strip()
    if "." in code:
        return code
    if len(code) in COMPACT_LENGTHS and COMPACT_LENGTHS[len(code)] == level_index:
        cuts = [0, 2, 4, 6, 10][: level_index + 2]
        return ".".join(code[a:b] for a, b in itertools.pairwise(cuts))
    return code  # left as is; validation below rejects it


def npm_pack(version: str, dest: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{version}", "--pack-destination", str(dest)],
        check=True,
        capture_output=True,
        text=True,
    )
    name = out.stdout.strip().splitlines()[-1]
    return dest / name


def read_member(tar: tarfile.TarFile, name: str) -> str:
    member = tar.extractfile(f"package/{name}")
    if member is None:
        raise SystemExit(f"{name} not found in tarball")
    return member.read().decode("utf-8-sig")


def build(tarball: Path, out_dir: Path, generated: dt.date, regulation: str | None) -> None:
    sha256 = hashlib.sha256(tarball.read_bytes()).hexdigest()
    with tarfile.open(tarball, "r:gz") as tar:
        pkg = json.loads(read_member(tar, "package.json"))
        if pkg.get("name") != PACKAGE:
            raise SystemExit(f"tarball is {pkg.get('name')!r}, expected {PACKAGE!r}")
        version: str = pkg["version"]
        sources = {fname: read_member(tar, f"data/{fname}") for _, fname, _, _ in LEVELS}
        data_licence = read_member(tar, "data/LICENSE.md")

    rows: dict[str, tuple[str, str, str]] = {}  # code -> (name, level, parent)
    counts: dict[str, int] = {}
    errors: list[str] = []
    for index, (level, fname, parent_col, pattern) in enumerate(LEVELS):
        n = 0
        for line_no, rec in enumerate(csv.DictReader(io.StringIO(sources[fname])), start=2):
            code = dotted(rec["code"], index)
            name = " ".join(rec["name"].split())
            parent = dotted(rec[parent_col], index - 1) if parent_col else ""
            where = f"{fname}:{line_no}"
            if not pattern.fullmatch(code):
                errors.append(f"{where}: bad {level} code {rec['code']!r}")
                continue
            if not name:
                errors.append(f"{where}: empty name for {code}")
            if code in rows:
                errors.append(f"{where}: duplicate code {code}")
            if parent_col:
                if parent != code.rsplit(".", 1)[0]:
                    errors.append(f"{where}: {code} has parent {parent!r}, not its prefix")
                elif parent not in rows:
                    errors.append(f"{where}: {code} parent {parent} unknown")
            rows[code] = (name, level, parent)
            n += 1
        counts[level] = n
    if errors:
        raise SystemExit("invalid source data:\n  " + "\n  ".join(errors[:50]))

    out_dir.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["code", "name", "level", "parent"])
    for code in sorted(rows):
        writer.writerow([code, *rows[code]])
    raw = buf.getvalue().encode("utf-8")
    gz = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz, compresslevel=9, mtime=0) as fh:
        fh.write(raw)
    (out_dir / "regions.csv.gz").write_bytes(gz.getvalue())

    regulation = regulation or REGULATIONS.get(version)
    if regulation is None:
        raise SystemExit(
            f"no regulation recorded for {PACKAGE} {version}; read the upstream "
            "docs/references.md and pass --regulation"
        )
    meta = {
        "source": PACKAGE,
        "source_version": version,
        "source_tarball_sha256": sha256,
        "source_repository": "https://github.com/fityannugroho/idn-area-data",
        "upstream": UPSTREAM_NOTES.get(version, ""),
        "regulation": regulation,
        "code_license": pkg.get("license", "?"),
        "data_license": "Open Database License (ODbL) v1.0",
        "generated": generated.isoformat(),
        "counts": counts,
        "total": sum(counts.values()),
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    (out_dir / "LICENSE-DATA.md").write_text(data_licence)
    (out_dir / "SOURCE.md").write_text(source_md(meta, len(raw), gz.tell()))
    print(json.dumps(meta, indent=2, ensure_ascii=False))
    print(f"regions.csv.gz: {len(raw)} bytes raw -> {gz.tell()} bytes gzip", file=sys.stderr)


def source_md(meta: dict[str, object], raw_size: int, gz_size: int) -> str:
    counts = meta["counts"]
    assert isinstance(counts, dict)
    return f"""# Region reference data: source

`regions.csv.gz` and `meta.json` in this directory are **generated** by
`libs/regions/scripts/build_data.py`; do not edit them by hand.

| | |
|---|---|
| Source | npm package [`{meta["source"]}`](https://www.npmjs.com/package/{meta["source"]}) version **{meta["source_version"]}** |
| Tarball sha256 | `{meta["source_tarball_sha256"]}` |
| Upstream repository | {meta["source_repository"]} ({meta["upstream"]}) |
| Based on | {meta["regulation"]} |
| Package code licence | {meta["code_license"]} |
| Data licence | {meta["data_license"]} - see `LICENSE-DATA.md` (copied from the package's `data/LICENSE.md`) |
| Generated | {meta["generated"]} |

Counts: {counts["province"]} provinces, {counts["regency"]} regencies/cities
(kabupaten/kota), {counts["district"]} districts (kecamatan),
{counts["village"]} villages (desa/kelurahan); {meta["total"]} rows in total.
The package's `islands.csv` is not included.

Format: gzip'd UTF-8 CSV, header `code,name,level,parent`, sorted by code.
Codes are in dotted Kemendagri form (`33`, `33.04`, `33.04.01`,
`33.04.01.2001`); `level` is `province|regency|district|village`; `parent` is
the parent's dotted code (empty for provinces). Names are as in the source
(whitespace collapsed). Size: {raw_size} bytes raw, {gz_size} bytes gzip'd.

Attribution (ODbL 4.3): contains data from "Indonesian Area Data
(idn-area-data)" by Fityan Nugroho, made available under the Open Database
License, itself derived from the Kemendagri regulation named above.

To regenerate:

```sh
cd /tmp && npm pack {meta["source"]}@{meta["source_version"]}
python libs/regions/scripts/build_data.py --tarball /tmp/{meta["source"]}-{meta["source_version"]}.tgz
```
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--tarball", type=Path, help="path to an idn-area-data-*.tgz (offline)")
    src.add_argument("--version", default=DEFAULT_VERSION, help="npm version to `npm pack`")
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    parser.add_argument(
        "--date", type=dt.date.fromisoformat, default=dt.date.today(), help="generation date"
    )
    parser.add_argument("--regulation", help="override the regulation text")
    args = parser.parse_args(argv)
    if args.tarball is not None:
        build(args.tarball, args.out, args.date, args.regulation)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            build(npm_pack(args.version, Path(tmp)), args.out, args.date, args.regulation)


if __name__ == "__main__":
    main()
