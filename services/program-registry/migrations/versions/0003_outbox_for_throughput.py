"""outbox for throughput: json payload (read once as text, never parsed), seq as primary key"""

from rujukan_platform.migrations import outbox_for_throughput as upgrade
from rujukan_platform.migrations import outbox_for_throughput_undone as downgrade

revision = "0003"
down_revision = "0002"
__all__ = ["downgrade", "upgrade"]
