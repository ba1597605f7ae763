"""Regenerate migration 0001 from the models (only while no database outside tests uses it).

Until the first release lands, the schema is one initial migration; after that, schema
changes get their own revisions (`alembic revision --autogenerate` via
workflow_app.migrations.alembic_config) and this script must not be used.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from alembic import command

from workflow_app.migrations import HERE, alembic_config

TARGET = HERE / "versions" / "0001_initial_schema.py"


def main() -> int:
    """Write 0001 atomically from the current models."""
    with tempfile.TemporaryDirectory() as tmp:
        versions = Path(tmp) / "versions"
        versions.mkdir()
        cfg = alembic_config(f"sqlite:///{Path(tmp) / 'gen.sqlite3'}")
        cfg.set_main_option("version_locations", str(versions))
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001",
                         version_path=str(versions))
        [generated] = list(versions.glob("*.py"))
        text = generated.read_text().replace("astext_type=Text()", "astext_type=sa.Text()")
        lines = [("Create Date: 2026-11-22" if line.startswith("Create Date:") else line) for line in text.split("\n")]
        fd, tmp_path = tempfile.mkstemp(dir=TARGET.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines))
        os.replace(tmp_path, TARGET)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
