"""``socorg attachments sweep``: the bytes of withdrawn files go once nothing refers to them and the grace
period has passed; shared, fresh and referenced bytes stay."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from tests.attachments import samples
from tests.attachments.conftest import stored_files
from workflow_app import db
from workflow_app.attachments.store import LocalFileStore
from workflow_app.attachments.sweep import sweep
from workflow_app.cli import main


def _age(app, digest: str, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(LocalFileStore(app.config["FILE_STORE"]).path(digest), (then, then))


def _sweep(app, *args: str) -> str:
    result = CliRunner().invoke(main, ["attachments", "sweep", *args], obj=ScriptInfo(create_app=lambda: app),
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_sweep_deletes_only_old_bytes_no_row_names(app, client, auth, start_registration, upload):
    _case, task = start_registration()
    _other, other_task = start_registration()
    shared, alone, fresh = samples.pdf("shared"), samples.pdf("alone"), samples.pdf("fresh")
    digest = {name: hashlib.sha256(data).hexdigest() for name, data in
              (("shared", shared), ("alone", alone), ("fresh", fresh))}
    ids = {"shared": upload(task, shared).get_json()["id"], "alone": upload(task, alone).get_json()["id"],
           "fresh": upload(task, fresh).get_json()["id"]}
    upload(other_task, shared, "副本.pdf")  # the same bytes in another case
    for name in ids:
        assert client.delete(f"/api/v1/attachments/{ids[name]}", headers=auth("applicant")).status_code == 204
    for name in ("shared", "alone"):
        _age(app, digest[name], 48)

    dry = _sweep(app, "--dry-run")
    assert "would delete 1 unused files" in dry and len(stored_files(app)) == 3
    done = _sweep(app)
    assert f"deleted 1 unused files ({len(alone)} bytes); kept 1 in use and 1 unused but younger than 24 h" in done
    assert sorted(p.name for p in stored_files(app)) == sorted([digest["shared"], digest["fresh"]])
    other_file = client.get(f"/api/v1/attachments/{_only_id(app)}", headers=auth("applicant"))
    assert other_file.status_code == 200 and other_file.data == shared


def _only_id(app) -> str:
    from sqlalchemy import select

    from workflow_app.attachments.models import Attachment

    session = db.session()
    session.rollback()
    return session.scalars(select(Attachment.id)).one()


def test_a_grace_period_shorter_than_an_hour_is_refused(app):
    with pytest.raises(ValueError):
        sweep(db.session(), LocalFileStore(app.config["FILE_STORE"]), timedelta(minutes=5))
    result = CliRunner().invoke(main, ["attachments", "sweep", "--grace-hours", "0"],
                                obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 2
