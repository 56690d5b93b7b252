"""Program registry's settings."""

from __future__ import annotations

from pathlib import Path

from rujukan_platform.settings import ServiceSettings

SEED_DIR = Path(__file__).resolve().parents[2] / "seed" / "programs"


class RegistrySettings(ServiceSettings):
    service: str = "program-registry"
    port: int = 8002
    database: str = "registry"
    seed_dir: Path = SEED_DIR
