"""the outbox vacuumed at 5,000 dead rows, as the router's has been since its 0004

Every event is a row inserted and deleted; the relay's ``ORDER BY seq`` scan walks the dead
ones until autovacuum reaches them, which by default waits for a fifth of the table.
"""

from rujukan_platform import migrations

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    migrations.outbox_vacuumed_often()


def downgrade() -> None:
    migrations.outbox_vacuumed_as_any_table()
