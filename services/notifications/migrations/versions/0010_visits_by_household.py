"""a resident's visits found by household

Silencing a household (its resident withdrew consent, or gave none at a visit) drops the news
gathered for its visits, and finds them by household: without this index each of those
statements read every visit ever kept (the pipeline benchmark at 100 intakes/s measured about
250 sequential scans of the table every ten seconds; a national deployment keeps millions).
"""

from alembic import op

from rujukan_platform import migrations

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    migrations.create_index("resident_visits", ["household_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_resident_visits_household_id"), table_name="resident_visits")
