"""follow-up visits and NIK matching: an intake's visit_of, content hash and probable duplicates;
the registry's members by NIK hash"""

from alembic import op

from rujukan_platform import migrations

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    # Intakes stored before keep None: a later visit is compared with none of their content,
    # so it is a follow-up rather than a duplicate (nothing new is lost).
    op.add_column("intakes", migrations.uuid("visit_of", nullable=True))
    op.add_column("intakes", migrations.text("content_hash", nullable=True))
    op.add_column("intakes", migrations.jsonb("possible_duplicates", nullable=True))
    op.create_foreign_key(
        op.f("fk_intakes_visit_of_intakes"), "intakes", "intakes", ["visit_of"], ["id"]
    )
    migrations.create_index("intakes", ["visit_of"])
    migrations.create_table(
        "registry_members",
        migrations.text("nik_hash"),
        migrations.text("kk_hash"),
        primary_key=["nik_hash"],
        references={"kk_hash": "registry_households.kk_hash"},
    )
    migrations.create_index("registry_members", ["kk_hash"])


def downgrade() -> None:
    op.drop_table("registry_members")
    op.drop_index(op.f("ix_intakes_visit_of"), table_name="intakes")
    op.drop_constraint(op.f("fk_intakes_visit_of_intakes"), "intakes", type_="foreignkey")
    op.drop_column("intakes", "possible_duplicates")
    op.drop_column("intakes", "content_hash")
    op.drop_column("intakes", "visit_of")
