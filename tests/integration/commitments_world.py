"""A small world for the commitments tests: the sample registry, demo accounts, a project filed
on standard plot CD-A03, and an enterprise key pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from access.actor import Actor
from api.demo import sample_registry_files
from api.seed import seed_demo_accounts
from approvals.samples import sample_project_doc
from approvals.service import work_calendar
from approvals.services import filing
from commitments import signing

FILED = date(2026, 3, 2)


@dataclass
class World:
    enterprise: Actor
    other: Actor
    regulator: Actor
    admin: Actor
    project_id: int
    key: Ed25519PrivateKey


def actor(accounts, username: str) -> Actor:
    u = accounts.users[username]
    return Actor(u.username, u.role, u.id, u.department, u.enterprise_id)


def build_world(session: Session, plot: str = "CD-A03", *, register_key: bool = True) -> World:
    from commitments.services import keys as keys_service
    from landplots.services import importing, registry

    zones, plots_file = sample_registry_files()
    importing.import_zones_file(session, zones)
    importing.import_file(session, plots_file)
    accounts = seed_demo_accounts(session)
    session.commit()
    doc = sample_project_doc()
    enterprise = actor(accounts, "enterprise1")
    project = filing.file_project(
        session,
        enterprise,
        work_calendar(session),
        name=doc["name"],
        attributes=doc["attributes"],
        filed_on=FILED,
        plot_code=plot,
        plots=registry.PLOT_ASSESSMENTS,
    )
    key = signing.generate()
    if register_key:
        keys_service.register_enterprise_key(
            session, enterprise, signing.public_of(key).pem(), label="测试密钥"
        )
    session.commit()
    return World(
        enterprise,
        actor(accounts, "enterprise2"),
        actor(accounts, "regulator1"),
        actor(accounts, "admin"),
        project.id,
        key,
    )


def publish(session: Session, w: World, on: date = FILED):
    """Draft, sign and accept the world's commitment."""
    from commitments.services import drafting as drafting_service
    from commitments.services import signatures as signatures_service

    calendar = work_calendar(session)
    c = drafting_service.create_commitment(session, w.enterprise, w.project_id, on, calendar)
    fp = signing.public_of(w.key).fingerprint
    signatures_service.submit_signature(
        session, w.enterprise, c.id, fp, signing.sign(w.key, c.document.encode())
    )
    signatures_service.accept_commitment(session, w.admin, c.id, on, calendar)
    session.commit()
    return c
