from rujukan_platform.migrations import run_env
from rujukan_workbench.sessions import metadata

run_env(metadata)
