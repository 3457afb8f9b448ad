"""Accounts over HTTP: the administrator creates them (``POST /api/users``), others may not."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_administrator_creates_an_account_that_can_log_in(live):
    admin = live.client("admin")
    body = {"username": "reviewer-x", "password": "long-enough", "role": "reviewer"}
    r = admin.post("/api/users", json=body)
    assert r.status_code == 422 and r.json()["detail"].startswith("部门")  # the field, named
    r = admin.post("/api/users", json={**body, "department": "nope"})
    assert r.status_code == 422 and "nope" in r.json()["detail"]
    r = admin.post("/api/users", json={**body, "department": "fgw", "email": "x@example.org"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["role"], created["department"], created["email"]) == (
        "reviewer",
        "fgw",
        "x@example.org",
    )
    assert "password" not in created and "password_hash" not in created
    listed = admin.get("/api/users", params={"role": "reviewer"}).json()
    assert "reviewer-x" in [u["username"] for u in listed["items"]]
    me = live.client("reviewer-x", "long-enough").get("/api/me").json()
    assert (me["role"], me["department"], me["role_name_en"]) == (
        "reviewer",
        "fgw",
        "department reviewer",
    )
    # no other role may create or list accounts
    for who in ("regulator1", "enterprise1", "agent1", "reviewer-fgw"):
        client = live.client(who)
        r = client.post("/api/users", json={**body, "username": "sneaky", "department": "fgw"})
        assert r.status_code == 403, who
        assert client.get("/api/users").status_code == 403, who
