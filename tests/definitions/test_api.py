"""The definitions API: catalogue, upload (designer), one version with its XML; hostile uploads; versioning."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workflow_app.definitions.models import ProcessDefinition
from workflow_app.instances.models import InstanceStatus
from workflow_app.services import instance_service

URL = "/api/v1/process-definitions"
DATA = Path(__file__).parent.parent / "data"
ROLES = ["applicant", "window_cc", "reviewer_cc", "supervisor_cc", "supervisor_prov", "designer", "admin"]
SECRET = "TOPSECRET-4b1e-do-not-leak"


def multipart(files: dict[str, bytes]) -> dict:
    """A multipart body with every file under the field ``files``."""
    return {"files": [(io.BytesIO(data), name) for name, data in files.items()]}


def upload(client, headers, files: dict[str, bytes]):
    return client.post(URL, data=multipart(files), headers=headers, content_type="multipart/form-data")


def stored(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0


def sample_upload(sample_files: dict[str, bytes]) -> dict[str, bytes]:
    """The sample files as a browser sends them: forms as plain ``x.json``."""
    return {name.removeprefix("forms/"): data for name, data in sample_files.items()}


# -- upload --------------------------------------------------------------------------------------

def test_designer_uploads_a_process_and_reads_it_back(client, auth, sample_files, session):
    response = upload(client, auth("designer"), sample_upload(sample_files))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["key"], body["version"], body["created"]) == ("sample_review", 1, True)
    assert body["deployed"] == [{"key": "sample_review", "version": 1, "created": True}]

    detail = client.get(f"{URL}/sample_review", headers=auth("designer")).get_json()
    assert detail["version"] == 1 and detail["name"] == "示例审核流程" and detail["deployed_by"] == "designer"
    assert detail["bpmn_xml"] == sample_files["sample_review.bpmn"].decode()
    assert detail["files"] == ["forms/review.json", "forms/submit.json", "sample_review.bpmn"]
    assert detail["task_meta"]["review"]["lane"] == "reviewer"
    assert detail["running_instances"] == 0


def test_forms_may_be_uploaded_under_forms_slash(client, auth, sample_files):
    response = upload(client, auth("admin"), sample_files)  # keys like "forms/submit.json"
    assert response.status_code == 201
    detail = client.get(f"{URL}/sample_review", headers=auth("admin")).get_json()
    assert "forms/submit.json" in detail["files"]


def test_several_processes_in_one_upload_are_all_reported(client, auth, sample_files):
    files = sample_upload(sample_files)
    files.update({"scripted.bpmn": (DATA / "scripted" / "scripted.bpmn").read_bytes()
                  .replace(b"SCRIPT_BODY", b"x = 1").replace(b"OPERATOR", b"case.note"),
                  "enter.json": (DATA / "scripted" / "forms" / "enter.json").read_bytes()})
    response = upload(client, auth("designer"), files)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {(d["key"], d["version"]) for d in body["deployed"]} == {("sample_review", 1), ("scripted", 1)}
    assert (body["key"], body["version"]) == (body["deployed"][0]["key"], 1)


def test_a_bundle_with_a_decision_table_deploys(client, auth):
    files = {name: (DATA / "lint" / name).read_bytes()
             for name in ["registration.bpmn", "correction.bpmn", "fee.dmn", "review.json"]}
    files["registration.bpmn"] = files["registration.bpmn"].replace(b'"notify_applicant"', b'"case.note"')
    response = upload(client, auth("designer"), files)
    assert response.status_code == 201, response.get_json()
    assert {d["key"] for d in response.get_json()["deployed"]} == {"registration", "correction"}


def test_versioning_through_the_api_keeps_running_cases_on_their_version(client, auth, sample_files, session):
    headers = auth("designer")
    files = sample_upload(sample_files)
    assert upload(client, headers, files).status_code == 201
    same = upload(client, headers, files)
    assert same.status_code == 200
    assert (same.get_json()["version"], same.get_json()["created"]) == (1, False)
    assert stored(session) == 1

    old_case = client.post("/api/v1/process-instances", json={"process_key": "sample_review"},
                           headers=auth("window_cc")).get_json()
    assert old_case["version"] == 1

    changed = dict(files)
    changed["sample_review.bpmn"] = files["sample_review.bpmn"].replace("审核申请".encode(), "审核申请（新）".encode())
    response = upload(client, headers, changed)
    assert response.status_code == 201
    assert response.get_json()["version"] == 2 and stored(session) == 2

    new_case = client.post("/api/v1/process-instances", json={"process_key": "sample_review"},
                           headers=auth("window_cc")).get_json()
    assert new_case["version"] == 2

    listed = client.get(f"{URL}?all_versions=true", headers=headers).get_json()
    assert [(i["version"], i["running_instances"]) for i in listed["items"]] == [(2, 1), (1, 1)]
    assert [i["version"] for i in client.get(URL, headers=headers).get_json()["items"]] == [2]
    assert client.get(f"{URL}/sample_review?version=1", headers=headers).get_json()["bpmn_xml"] == \
        files["sample_review.bpmn"].decode()
    assert "（新）" in client.get(f"{URL}/sample_review", headers=headers).get_json()["bpmn_xml"]

    # The v1 case runs to its end on v1 (its review task keeps the old title).
    [submit] = old_case["active_tasks"]
    [review] = instance_service().complete_task(submit["id"], {"title": "年会", "amount": 5},
                                                actor="window_cc").new_tasks
    assert review.title == "审核申请"
    advance = instance_service().complete_task(review.id, {"decision": "approve"}, actor="reviewer_cc")
    assert advance.instance.status is InstanceStatus.COMPLETED
    done = client.get(f"/api/v1/process-instances/{old_case['id']}", headers=auth("admin")).get_json()
    assert (done["status"], done["version"]) == ("completed", 1)
    listed = client.get(f"{URL}?all_versions=true", headers=headers).get_json()
    assert [(i["version"], i["running_instances"]) for i in listed["items"]] == [(2, 1), (1, 0)]


# -- hostile and invalid uploads -----------------------------------------------------------------

XXE = """<?xml version="1.0"?>
<!DOCTYPE bpmn:definitions [<!ENTITY secret SYSTEM "file://{path}">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="xxe" name="&secret;" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>
</bpmn:definitions>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">&lol9;</bpmn:definitions>"""


def test_xxe_upload_is_refused_and_the_secret_never_leaks(client, auth, session, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    response = upload(client, auth("designer"), {"xxe.bpmn": XXE.replace("{path}", str(secret)).encode()})
    assert response.status_code == 422
    assert SECRET not in response.get_data(as_text=True)
    [problem] = response.get_json()["error"]["details"]["problems"]
    assert problem["file"] == "xxe.bpmn" and "DOCTYPE" in problem["message"]
    assert set(problem) == {"file", "element_id", "message", "line"}
    assert stored(session) == 0


def test_billion_laughs_upload_is_refused(client, auth, session):
    response = upload(client, auth("designer"), {"lol.bpmn": BILLION_LAUGHS})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_definition"
    assert stored(session) == 0


def test_upload_over_the_size_limit_is_413_in_the_error_format(app, client, auth, session):
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"] = 64 * 1024
    big = b"<x>" + b"a" * (65 * 1024) + b"</x>"
    response = upload(client, auth("designer"), {"big.bpmn": big})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert stored(session) == 0


def test_malformed_xml_names_file_and_line(client, auth, session, sample_files):
    files = sample_upload(sample_files)
    files["sample_review.bpmn"] = b'<?xml version="1.0"?>\n<bpmn:definitions>\n  <oops>\n</bpmn:definitions>'
    response = upload(client, auth("designer"), files)
    assert response.status_code == 422
    [problem] = response.get_json()["error"]["details"]["problems"]
    assert problem["file"] == "sample_review.bpmn" and problem["line"] and "malformed" in problem["message"]
    assert stored(session) == 0


def test_script_using_import_is_refused_with_the_element_id(client, auth, session, sample_files):
    files = sample_upload(sample_files)
    files["sample_review.bpmn"] = files["sample_review.bpmn"].replace(
        b'priority = "high" if amount &gt; 1000 else "normal"', b"__import__('os').system('touch /tmp/pwned')")
    response = upload(client, auth("designer"), files)
    assert response.status_code == 422
    problems = response.get_json()["error"]["details"]["problems"]
    assert any(p["element_id"] == "classify" and p["file"] == "sample_review.bpmn" for p in problems), problems
    assert stored(session) == 0


@pytest.mark.parametrize("files,fragment", [
    ({"notes.txt": b"hello"}, "only .bpmn"),
    ({"form.json": b"{not json"}, "not valid JSON"),
    ({"empty.bpmn": b""}, "malformed"),
    ({"bad.bpmn": b"\xff\xfe\x00garbage"}, ""),
])
def test_invalid_files_are_422_with_problems(client, auth, session, files, fragment):
    response = upload(client, auth("designer"), files)
    assert response.status_code == 422
    problems = response.get_json()["error"]["details"]["problems"]
    assert problems and fragment in " ".join(p["message"] for p in problems)
    assert stored(session) == 0


def test_upload_without_files_is_422(client, auth, session):
    for data in [{}, {"files": "not a file"}, {"other": (io.BytesIO(b"x"), "x.bpmn")}]:
        response = client.post(URL, data=data, headers=auth("designer"), content_type="multipart/form-data")
        assert response.status_code == 422, data
        assert "files" in response.get_json()["error"]["details"]["fields"]
    response = client.post(URL, json={"files": []}, headers=auth("designer"))
    assert response.status_code == 422
    assert stored(session) == 0


def test_same_name_twice_and_unnamed_files_are_422(client, auth, session, sample_files):
    twice = {"files": [(io.BytesIO(b"{}"), "a.json"), (io.BytesIO(b"{}"), "forms/a.json")]}
    response = client.post(URL, data=twice, headers=auth("designer"), content_type="multipart/form-data")
    assert response.status_code == 422
    assert "twice" in response.get_json()["error"]["message"]
    assert stored(session) == 0


def test_client_paths_are_reduced_to_base_names(client, auth, sample_files):
    files = {f"C:/Users/me/{name.removeprefix('forms/')}" if name.endswith(".json") else f"../../{name}": data
             for name, data in sample_files.items()}
    response = upload(client, auth("designer"), files)
    assert response.status_code == 201
    detail = client.get(f"{URL}/sample_review", headers=auth("designer")).get_json()
    assert detail["files"] == ["forms/review.json", "forms/submit.json", "sample_review.bpmn"]


# -- reading -------------------------------------------------------------------------------------

def test_unknown_key_or_version_is_404(client, auth, deployed_sample):
    headers = auth("designer")
    for path in [f"{URL}/nope", f"{URL}/sample_review?version=2", f"{URL}/{'k' * 300}", f"{URL}/a%00b"]:
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.get(f"{URL}/sample_review?version=0", headers=headers).status_code == 422
    assert client.get(f"{URL}/sample_review?version=x", headers=headers).status_code == 422


def test_catalogue_paginates(client, auth, deployed_sample, deploy_scripted):
    deploy_scripted("x = 1")
    headers = auth("window_cc")
    first = client.get(f"{URL}?per_page=1", headers=headers).get_json()
    second = client.get(f"{URL}?per_page=1&page=2", headers=headers).get_json()
    assert first["total"] == second["total"] == 2 and first["per_page"] == 1
    assert [i["key"] for i in first["items"] + second["items"]] == ["sample_review", "scripted"]
    item = first["items"][0]
    assert set(item) >= {"key", "name", "version", "deployed_at", "deployed_by", "running_instances"}
    assert client.get(f"{URL}?per_page=500", headers=headers).status_code == 422


# -- who may do what -----------------------------------------------------------------------------

EXPECTED = {
    #          applicant window_cc reviewer_cc supervisor_cc supervisor_prov designer admin
    "list":   [403,      200,      200,        200,          200,            200,     200],
    "get":    [403,      200,      200,        200,          200,            200,     200],
    "upload": [403,      403,      403,        403,          403,            200,     200],
}


def act(action: str, client, headers: dict, sample_files: dict[str, bytes]):
    if action == "list":
        return client.get(URL, headers=headers)
    if action == "get":
        return client.get(f"{URL}/sample_review", headers=headers)
    return upload(client, headers, sample_upload(sample_files))  # the deployed files again: 200


@pytest.mark.parametrize("action", list(EXPECTED))
def test_role_matrix(client, auth, sample_files, deployed_sample, session, action):
    got = []
    for username in ROLES:
        response = act(action, client, auth(username), sample_files)
        got.append(response.status_code)
        if response.status_code >= 400:
            assert response.get_json()["error"]["code"] == "forbidden"
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, EXPECTED[action], strict=True))
    assert stored(session) == 1


def test_every_endpoint_needs_a_token(client, deployed_sample):
    for method, path in [("GET", URL), ("POST", URL), ("GET", f"{URL}/sample_review")]:
        response = client.open(path, method=method)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "not_authenticated"
