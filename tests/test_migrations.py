"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workflow_app import db
from workflow_app.models import Base


def test_migrated_schema_matches_the_models(app):
    with db.engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []



def test_each_revision_downgrades_and_upgrades_again(tmp_path):
    """Every revision's downgrade runs and leaves a schema the upgrade can build on again (SQLite file)."""
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from workflow_app import migrations

    engine = create_engine(f"sqlite:///{tmp_path / 'down-up.sqlite3'}")
    migrations.upgrade(engine)
    config = migrations.alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert "cycle" not in {c["name"] for c in inspect(engine).get_columns("alerts")}
    assert not {"login_attempts", "security_events"} & set(inspect(engine).get_table_names())
    migrations.upgrade(engine)
    assert "cycle" in {c["name"] for c in inspect(engine).get_columns("alerts")}
    assert {"login_attempts", "security_events"} <= set(inspect(engine).get_table_names())
    engine.dispose()
