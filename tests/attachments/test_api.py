"""POST /api/v1/tasks/{id}/attachments and GET /api/v1/attachments/{id}: checks, limits, who may see."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from sqlalchemy import select, update

from tests.attachments import samples
from tests.attachments.conftest import attachment_count, stored_files
from workflow_app.attachments.models import Attachment

# Only the bytes of a real PDF pass as one.
PDF = samples.pdf("charter")


def test_upload_answers_the_file_and_keeps_its_bytes_once_under_their_digest(app, session, start_registration, upload):
    _case, task = start_registration()
    first = upload(task, PDF, "章程（草案）.pdf")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert {k: body[k] for k in ("filename", "size", "sha256", "content_type", "field")} == {
        "filename": "章程（草案）.pdf", "size": len(PDF), "sha256": digest, "content_type": "application/pdf",
        "field": "charter_files"}
    path = f"{app.config['FILE_STORE']}/{digest[:2]}/{digest}"
    assert [str(p) for p in stored_files(app)] == [path]
    assert open(path, "rb").read() == PDF
    again = upload(task, PDF, "章程副本.pdf")
    assert again.status_code == 201 and again.get_json()["id"] != body["id"]
    assert len(stored_files(app)) == 1 and attachment_count(session) == 2  # the same bytes stored once


def test_a_renamed_executable_is_refused_naming_the_problem_and_nothing_is_stored(
        app, session, start_registration, upload):
    _case, task = start_registration()
    answer = upload(task, samples.exe(), "章程.pdf")
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert "EXE" in error["message"] and ".pdf" in error["message"]
    assert "EXE" in error["details"]["fields"]["charter_files"][0]
    assert stored_files(app) == [] and attachment_count(session) == 0


def test_an_image_where_only_documents_are_accepted_is_refused(app, session, start_registration, upload):
    _case, task = start_registration()
    # site_photos takes images; charter_files takes PDF and images: a PNG passes there.
    assert upload(task, samples.png(), "scan.png").status_code == 201
    assert upload(task, b"just some text, not a PDF", "章程.pdf").status_code == 422


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(app, session, start_registration, upload):
    _case, task = start_registration()
    app.config["MAX_ATTACHMENT_BYTES"] = 2000
    padded = PDF + b"%" + b"x" * 2000  # still a PDF by its bytes
    answer = upload(task, padded)
    assert answer.status_code == 422
    assert "文件过大" in answer.get_json()["error"]["message"] and "2000" in answer.get_json()["error"]["message"]
    # Far past the limit, the request body itself is refused before it is read: 413, saying the limit.
    huge = upload(task, PDF + b"%" + b"x" * 200_000)
    assert huge.status_code == 413 and "文件过大" in huge.get_json()["error"]["message"]
    assert stored_files(app) == [] and attachment_count(session) == 0


def test_the_eleventh_file_of_a_ten_file_field_is_refused(app, session, start_registration, upload):
    _case, task = start_registration()
    for n in range(10):
        assert upload(task, samples.pdf(f"page {n}"), f"章程{n}.pdf").status_code == 201
    answer = upload(task, samples.pdf("eleven"), "章程11.pdf")
    assert answer.status_code == 422
    assert "最多上传 10 个文件" in answer.get_json()["error"]["details"]["fields"]["charter_files"][0]
    assert attachment_count(session) == 10 and len(stored_files(app)) == 10
    # Another field counts on its own.
    assert upload(task, samples.pdf("eleven"), "住所.pdf", field="residence_proof_files").status_code == 201


# "docs\\\\章程.pdf": the multipart header escapes a backslash, so the server reads docs\章程.pdf (one).
@pytest.mark.parametrize("name", ["../章程.pdf", "docs/章程.pdf", "docs\\\\章程.pdf", "..", "章程\x00.pdf",
                                  "章程\n.pdf", "report\u202efdp.exe", "长" * 86 + ".pdf", ""])
def test_an_unsafe_file_name_is_refused_not_rewritten(app, session, start_registration, upload, name):
    _case, task = start_registration()
    answer = upload(task, PDF, name)
    assert answer.status_code in (400, 422)  # an empty name is no file part at all (400 from the parser)
    if answer.status_code == 422:
        assert "文件名" in answer.get_json()["error"]["message"] or "file" in answer.get_json()["error"]["details"].get(
            "fields", {})
    assert stored_files(app) == [] and attachment_count(session) == 0


def test_a_long_name_within_255_bytes_and_dots_inside_are_kept(app, start_registration, upload):
    _case, task = start_registration()
    name = "长" * 83 + ".v2.pdf"  # 249 + 7 bytes... just under the limit
    name = name if len(name.encode()) <= 255 else name[1:]
    answer = upload(task, PDF, name)
    assert answer.status_code == 201 and answer.get_json()["filename"] == name


def test_the_field_must_be_an_attachment_field_of_the_form(app, session, start_registration, upload):
    _case, task = start_registration()
    assert upload(task, PDF, field="org_name").status_code == 422
    assert upload(task, PDF, field=None).status_code == 422  # several attachment fields: name one
    assert attachment_count(session) == 0


def test_only_whoever_may_complete_the_task_uploads(app, session, start_registration, upload):
    _case, task = start_registration("220100")
    assert upload(task, PDF, user="window_cc").status_code in (403, 404)
    assert upload(task, PDF, user="supervisor_cc").status_code == 403  # sees the 长春 case, cannot work it
    assert attachment_count(session) == 0


def test_a_changchun_caseworker_gets_404_for_a_file_of_a_jilin_city_case(app, client, auth, start_registration, upload):
    _case, task = start_registration("220200")  # 吉林市
    attachment = upload(task, PDF).get_json()["id"]
    for user in ("window_cc", "reviewer_cc", "supervisor_cc"):
        answer = client.get(f"/api/v1/attachments/{attachment}", headers=auth(user))
        assert answer.status_code == 404, user
        assert answer.get_json()["error"]["code"] == "attachment_not_found"
    assert client.get("/api/v1/attachments/not-a-uuid", headers=auth("admin")).status_code == 404
    ok = client.get(f"/api/v1/attachments/{attachment}", headers=auth("supervisor_prov"))
    assert ok.status_code == 200 and ok.data == PDF


def test_download_sends_the_bytes_as_an_attachment_with_a_utf8_name(app, client, auth, start_registration, upload):
    _case, task = start_registration()
    attachment = upload(task, PDF, "章程 草案.pdf").get_json()["id"]
    answer = client.get(f"/api/v1/attachments/{attachment}", headers=auth("applicant"))
    assert answer.status_code == 200 and answer.data == PDF
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Content-Disposition"] == "attachment; filename*=UTF-8''" + quote("章程 草案.pdf")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    staff = client.get(f"/api/v1/attachments/{attachment}", headers=auth("window_cc"))  # a 长春 case
    assert staff.status_code == 200


def test_inline_only_for_pdf_and_images(app, session, client, auth, start_registration, upload):
    _case, task = start_registration()
    pdf = upload(task, PDF).get_json()["id"]
    image = upload(task, samples.png(), "photo.png").get_json()["id"]
    other = upload(task, samples.pdf("zip"), "bundle.pdf").get_json()["id"]
    # A type no shipped field accepts (e.g. a ZIP a designer's form allows) is never shown inline.
    session.execute(update(Attachment).where(Attachment.id == other).values(content_type="application/zip"))
    session.commit()
    disposition = {name: client.get(f"/api/v1/attachments/{ident}?inline=1", headers=auth("applicant"))
                   .headers["Content-Disposition"].split(";")[0] for name, ident in
                   (("pdf", pdf), ("png", image), ("zip", other))}
    assert disposition == {"pdf": "inline", "png": "inline", "zip": "attachment"}


def test_completion_takes_only_files_uploaded_to_this_task_and_field(app, client, auth, start_registration, upload):
    _case, task = start_registration()
    _other_case, other_task = start_registration()
    files = {field: [upload(task, samples.pdf(field), field=field).get_json()["id"]] for field in (
        "charter_files", "founder_id_files", "residence_proof_files", "capital_proof_files", "party_commitment_files")}
    foreign = upload(other_task, samples.pdf("other case")).get_json()["id"]
    data = {"org_name": "长春市人工智能学会", "org_type": "social_group", "category": "科技类",
            "is_remote_chamber": False, "region_code": "220100", "residence": "长春市朝阳区人民大街1号",
            "legal_representative": "李明", "purpose": "团结人工智能科技工作者，促进学术交流。",
            "business_scope": "学术交流、科学普及", "activity_area": "长春市",
            "founders": [{"name": "李明", "founder_kind": "individual"}],
            "party_members": 3, "party_org_formed": False, "registered_funds": 50000, "charter_party_clause": True,
            "materials": ["charter_draft"], **files}
    swapped = {**data, "charter_files": files["residence_proof_files"]}
    stolen = {**data, "charter_files": [foreign]}
    invented = {**data, "charter_files": ["00000000-0000-4000-8000-000000000000"]}
    for bad in (swapped, stolen, invented):
        answer = client.post(f"/api/v1/tasks/{task}/complete", json={"data": bad}, headers=auth("applicant"))
        assert answer.status_code == 422, answer.get_json()
        assert list(answer.get_json()["error"]["details"]["fields"]) == ["charter_files"]
    done = client.post(f"/api/v1/tasks/{task}/complete", json={"data": data}, headers=auth("applicant"))
    assert done.status_code == 200, done.get_json()


def test_an_organization_does_not_download_the_files_of_internal_steps(app, client, auth, upload):
    from tests.web.support import accept, deploy_registration, open_task, registration_at_accept

    deploy_registration()
    case, accept_id = registration_at_accept("220100")
    accept(accept_id)
    review = open_task(case, "review").id
    photo = upload(review, samples.png(), "现场.png", field="site_photos", user="reviewer_cc")
    assert photo.status_code == 201, photo.get_json()
    url = f"/api/v1/attachments/{photo.get_json()['id']}"
    assert client.get(url, headers=auth("window_cc")).status_code == 200  # staff of the region
    assert client.get(url, headers=auth("applicant")).status_code == 404  # an internal step's file
    # The applicant's own materials stay readable to them.
    from workflow_app import db

    db.session().rollback()
    charter = db.session().scalar(select(Attachment.id).where(Attachment.instance_id == case,
                                                              Attachment.field == "charter_files"))
    assert client.get(f"/api/v1/attachments/{charter}", headers=auth("applicant")).status_code == 200
