from rujukan_platform.migrations import run_env
from rujukan_router.adapters.tables import metadata

run_env(metadata)
