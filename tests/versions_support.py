"""Second versions of the sample review process, for the version diff and case migration tests."""

from __future__ import annotations


def sample_v2(sample_files: dict[str, bytes], *, submit_limit: bytes = b"7wd") -> dict[str, bytes]:
    """The sample process with its 审核申请 step replaced by a new step ``recheck`` (复核申请), and the
    time limit of 填写申请 changed: one element added, one removed, one changed."""
    files = dict(sample_files)
    xml = files["sample_review.bpmn"]
    xml = xml.replace(b'"review"', b'"recheck"').replace(b">review<", b">recheck<")
    xml = xml.replace(b'id="recheck" name="\xe5\xae\xa1\xe6\xa0\xb8\xe7\x94\xb3\xe8\xaf\xb7"',
                      'id="recheck" name="复核申请"'.encode())
    xml = xml.replace(b'name="timeLimit" value="5wd"', b'name="timeLimit" value="' + submit_limit + b'"')
    files["sample_review.bpmn"] = xml
    return files
