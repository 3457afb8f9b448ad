"""Hostile input over HTTP: schemathesis generates requests for every operation of the OpenAPI
document, as every role, and checks that nothing answers 5xx, that every status, content type,
header and body is the documented one, and that OPTIONS tells the truth.

Two checks are left out on purpose: ``positive_data_acceptance`` (the API rightly refuses some
schema-valid requests: a date outside the working-day calendar, an answer the questionnaire
does not allow) and ``negative_data_rejection`` (msgspec's lenient decoding accepts ``0`` for
``false``).  The longer run of docs/reliability.md uses more examples; CI runs a quick one.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from approvals.samples import sample_project_doc

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
    "response_schema_conformance,missing_required_header,unsupported_method,allow_header_conformance,"
    "use_after_free,ensure_resource_availability"
)
EXAMPLES = os.environ.get("ONETRIP_SCHEMATHESIS_EXAMPLES", "3")
#: CI runs three roles; the longer run of docs/reliability.md sets all six
#: (``ONETRIP_SCHEMATHESIS_ROLES=anonymous,enterprise1,reviewer-fgw,agent1,regulator1,admin``).
ROLES = [
    None if r == "anonymous" else r
    for r in os.environ.get("ONETRIP_SCHEMATHESIS_ROLES", "anonymous,enterprise1,admin").split(",")
]


@pytest.mark.skipif(shutil.which("st") is None, reason="schemathesis is not installed")
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("user", ROLES)
def test_no_operation_answers_5xx_or_undocumented(live, user):
    owner = live.client("enterprise1")
    doc = sample_project_doc()
    owner.post(
        "/api/projects",
        json={
            "name": "模糊测试项目",
            "attributes": doc["attributes"],
            "regional_assessments": doc["regional_assessments"],
        },
    )
    cmd = [
        "st",
        "run",
        f"{live.url}/schema/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        EXAMPLES,
        "--workers",
        "1",
        "--seed",
        "20261121",
        "--phases",
        "examples,coverage,fuzzing",
    ]
    if user:
        token = live.client(user).headers["Authorization"]
        cmd += ["-H", f"Authorization: {token}"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    failures = result.stdout.find("FAILURES")  # the failing cases first, then the summary
    tail = (result.stdout[failures : failures + 6000] if failures >= 0 else "") + result.stdout[
        -1500:
    ]
    assert result.returncode == 0, tail
    print(user, result.stdout[result.stdout.rfind("Test cases:") :][:120])  # shown with -s
