from rujukan_intake.adapters.tables import metadata
from rujukan_platform.migrations import run_env

run_env(metadata)
