"""``onetrip ledger``, ``onetrip monitor``, ``onetrip report`` and ``onetrip commitments``:
the commitments (承诺制) from the command line.

``ledger verify`` re-checks every hash and signature and exits 1 naming the first broken entry;
``ledger proof ID`` writes an inclusion proof that ``ledger verify-proof FILE`` checks offline
(no database).  ``commitments sign`` signs locally with the enterprise's PEM private key: only
the signature reaches the platform.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from api.cli.common import CliContext, db_option, open_engine, pass_cli, session_scope
from api.clock import Clock
from commitments import signing
from commitments.errors import CommitmentError, LedgerError

# The services (SQLAlchemy models, numpy, the planner) are imported inside the commands, so
# that ``onetrip`` starts fast and ``ledger verify-proof`` needs no database code at all.


def _admin() -> Any:
    from access.actor import Actor

    return Actor("cli", "admin")


def _calendar(session: Any) -> Any:
    from approvals.service import work_calendar

    return work_calendar(session)


def _today(cli_ctx: CliContext, on) -> date:
    return on.date() if on else Clock(cli_ctx.settings.today).today()


DATE_OPTION = click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="日期 / the day (default today in China, or ONETRIP_TODAY)",
)


# --- ledger --------------------------------------------------------------------------------------


@click.group("ledger")
def ledger_group() -> None:
    """承诺台账：校验、包含证明。The tamper-evident ledger."""


@ledger_group.command("verify")
@db_option
@pass_cli
def ledger_verify(cli_ctx: CliContext, db_url: str | None) -> None:
    """重新校验全部哈希、签名与已签名树头。Re-check every hash, signature and signed tree head.

    Exits 0 with a one-line summary when intact; exits 1 naming the first broken entry.
    """
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            from sqlalchemy import func, select

            from commitments.orm import LedgerEntryRow
            from commitments.services.ledger_store import verify_ledger

            size = session.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0
            progress = None
            if size >= 100_000 and sys.stderr.isatty():
                from rich.progress import Progress

                progress = Progress(console=cli_ctx.err, transient=True)
                progress.start()
                task = progress.add_task(cli_ctx.t("校验台账", "verifying"), total=size)

                def tick(seq: int) -> None:
                    if seq % 10_000 == 0:
                        progress.update(task, completed=seq)

            try:
                check = verify_ledger(session, tick if progress else None)
            finally:
                if progress:
                    progress.stop()
    finally:
        engine.dispose()
    cli_ctx.console.print(check.text(cli_ctx.lang), highlight=False, soft_wrap=True)


@ledger_group.command("proof")
@click.argument("seq", type=int)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    help="写入文件 / write to FILE (default stdout)",
)
@db_option
@pass_cli
def ledger_proof(cli_ctx: CliContext, seq: int, out: str | None, db_url: str | None) -> None:
    """条目 ID 的包含证明（RFC 6962），可离线核验。An inclusion proof of entry ID for offline checking."""
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            from commitments.services.ledger_store import proof_for

            bundle = proof_for(session, seq)
    finally:
        engine.dispose()
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    if out:
        Path(out).write_text(text, "utf-8")
        cli_ctx.err.print(cli_ctx.t(f"已写入 {out}", f"wrote {out}"))
    else:
        sys.stdout.write(text)


@ledger_group.command("verify-proof")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--key",
    "key",
    metavar="PEM|BASE64",
    help="信任的平台公钥（文件或值；见 GET /api/public/keys）/ the trusted platform key",
)
@pass_cli
def ledger_verify_proof(cli_ctx: CliContext, file: str, key: str | None) -> None:
    """离线核验包含证明（无需数据库）。Check an inclusion proof offline (no database)."""
    from commitments.ledger import verify_proof_bundle

    try:
        bundle = json.loads(Path(file).read_text("utf-8"))
    except OSError as e:
        raise LedgerError(
            f"{file}：无法读取（{e.strerror}）", f"{file}: cannot read it ({e.strerror})"
        ) from None
    except ValueError as e:
        raise LedgerError(f"{file}：不是 JSON（{e}）", f"{file}: not JSON ({e})") from None
    trusted = None
    if key:
        raw = Path(key).read_text("utf-8") if os.path.exists(key) else key
        trusted = signing.load_public(raw, "--key")
    result = verify_proof_bundle(bundle, trusted)
    doc = cli_ctx.t(
        "，承诺书文本与企业签名已核验", "; the commitment document and its signature checked"
    )
    cli_ctx.console.print(
        cli_ctx.t(
            f"包含证明有效：条目 #{result.seq}（{result.kind} {result.subject}）在规模为 {result.tree_size} 的树中，"
            f"树根 {result.root_hash[:16]}…，平台密钥 {result.key[:16]}…"
            + ("" if trusted else "（未指定 --key：请与公布的平台公钥比对）"),
            f"proof valid: entry #{result.seq} ({result.kind} {result.subject}) is in the tree of size "
            f"{result.tree_size}, root {result.root_hash[:16]}…, platform key {result.key[:16]}…"
            + ("" if trusted else " (no --key given: compare the key with the published one)"),
        )
        + (doc if result.document_checked else ""),
        highlight=False,
        soft_wrap=True,
    )


# --- monitor and reports -------------------------------------------------------------------------


@click.group("monitor")
def monitor_group() -> None:
    """承诺履约监管。Monitoring of commitments."""


@monitor_group.command("run")
@DATE_OPTION
@db_option
@pass_cli
def monitor_run(cli_ctx: CliContext, on, db_url: str | None) -> None:
    """生成到期检查任务、判定逾期（可重复执行）。Create the due checks; judge overdue ones (idempotent)."""
    engine = open_engine(cli_ctx, db_url)
    day = _today(cli_ctx, on)
    try:
        with session_scope(engine, write=True) as session:
            from commitments.services.monitoring import run_monitor

            report = run_monitor(session, day, _calendar(session))
    finally:
        engine.dispose()
    cli_ctx.console.print(report.text(cli_ctx.lang), highlight=False)


@click.group("report")
def report_group() -> None:
    """报告。Reports."""


@report_group.command("compliance")
@click.option("--zone", "zone", required=True, metavar="Z", help="片区代码 / zone code")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False), help="PDF 文件 / FILE.pdf"
)
@DATE_OPTION
@db_option
@pass_cli
def report_compliance(cli_ctx: CliContext, zone: str, out: str, on, db_url: str | None) -> None:
    """片区承诺履约情况报告（PDF）。A zone's compliance report (PDF)."""
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            from commitments.services.documents import compliance_pdf

            pdf = compliance_pdf(session, zone, _today(cli_ctx, on))
    finally:
        engine.dispose()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_bytes(pdf)
    cli_ctx.console.print(cli_ctx.t(f"已写入 {out}", f"wrote {out}"), highlight=False)


# --- commitments ---------------------------------------------------------------------------------


@click.group("commitments")
def commitments_group() -> None:
    """承诺书：密钥、起草、签署、确认、文书。Commitments: keys, drafting, signing, acceptance."""


@commitments_group.command("keygen")
@click.option(
    "--out", "out", required=True, metavar="PREFIX", help="写出 PREFIX.key（私钥）与 PREFIX.pub"
)
@pass_cli
def keygen(cli_ctx: CliContext, out: str) -> None:
    """生成企业 Ed25519 密钥对（私钥只留在本地）。Generate an Ed25519 key pair (the private key stays here)."""
    key = signing.generate()
    private, public = Path(f"{out}.key"), Path(f"{out}.pub")
    private.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signing.private_pem(key))
    pub = signing.public_of(key)
    public.write_text(pub.pem(), "utf-8")
    cli_ctx.console.print(
        cli_ctx.t(
            f"已写入 {private}（私钥，请妥善保管）与 {public}；公钥指纹 {pub.fingerprint}",
            f"wrote {private} (private: keep it safe) and {public}; fingerprint {pub.fingerprint}",
        ),
        highlight=False,
        soft_wrap=True,
    )


@commitments_group.command("list")
@db_option
@pass_cli
def list_commitments(cli_ctx: CliContext, db_url: str | None) -> None:
    """列出承诺书。List commitments."""
    from rich.table import Table

    from commitments.orm import CommitmentRow
    from commitments.services.queries import commitment_summary, visible_query

    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            rows = [
                commitment_summary(c, cli_ctx.lang)
                for c in session.scalars(visible_query(_admin()).order_by(CommitmentRow.id))
            ]
    finally:
        engine.dispose()
    table = Table(
        *cli_ctx.t(
            "编号,状态,企业,地块,项目,公示日期", "number,status,enterprise,plot,project,published"
        ).split(",")
    )
    for r in rows:
        table.add_row(
            r["number"],
            r["status_name"],
            r["enterprise"]["name"],
            r["plot"],
            r["project"]["code"],
            r["published_on"] or "—",
        )
    cli_ctx.console.print(table)


@commitments_group.command("create")
@click.option("--project", "project_id", type=int, required=True, help="项目 ID / project id")
@DATE_OPTION
@db_option
@pass_cli
def create(cli_ctx: CliContext, project_id: int, on, db_url: str | None) -> None:
    """由项目的标准地起草承诺书（综合窗口代办）。Draft a project's commitment from its plot."""
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine, write=True) as session:
            from commitments.services.drafting import create_commitment

            c = create_commitment(
                session, _admin(), project_id, _today(cli_ctx, on), _calendar(session)
            )
            number, digest = c.number, c.document_sha256
    finally:
        engine.dispose()
    cli_ctx.console.print(
        cli_ctx.t(
            f"已起草 {number}，规范字节 SHA-256 {digest}",
            f"drafted {number}; canonical bytes SHA-256 {digest}",
        ),
        highlight=False,
        soft_wrap=True,
    )


@commitments_group.command("canonical")
@click.argument("number")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False), help="写出待签名的规范字节"
)
@db_option
@pass_cli
def canonical(cli_ctx: CliContext, number: str, out: str, db_url: str | None) -> None:
    """写出承诺书的规范字节（RFC 8785），供任意工具签名。Write the canonical bytes to sign."""
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            from commitments.services.queries import get_by_number

            body = get_by_number(session, number).document.encode()
    finally:
        engine.dispose()
    Path(out).write_bytes(body)
    cli_ctx.console.print(
        cli_ctx.t(f"已写入 {out}（{len(body)} 字节）", f"wrote {out} ({len(body)} bytes)"),
        highlight=False,
    )


@commitments_group.command("sign")
@click.argument("number")
@click.option(
    "--key", "key_file", required=True, type=click.Path(dir_okay=False), help="企业 PEM 私钥文件"
)
@db_option
@pass_cli
def sign(cli_ctx: CliContext, number: str, key_file: str, db_url: str | None) -> None:
    """用本地私钥签署承诺书并提交签名。Sign a commitment locally and submit the signature.

    The public key is registered for the commitment's enterprise when it is not yet.
    """
    try:
        pem = Path(key_file).read_bytes()
    except OSError as e:
        raise CommitmentError(
            f"{key_file}：无法读取（{e.strerror}）", f"{key_file}: cannot read it ({e.strerror})"
        ) from None
    key = signing.load_private_pem(pem, key_file)
    public = signing.public_of(key)
    from access.actor import Actor
    from commitments.services.keys import register_enterprise_key
    from commitments.services.queries import get_by_number
    from commitments.services.signatures import submit_signature

    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine, write=True) as session:
            c = get_by_number(session, number)
            register_enterprise_key(
                session,
                _admin(),
                public.pem(),
                label=f"onetrip commitments sign {Path(key_file).name}",
                enterprise_id=c.enterprise_id,
            )
            owner = Actor(
                f"enterprise-{c.enterprise_id}", "enterprise", enterprise_id=c.enterprise_id
            )
            signature = signing.sign(key, c.document.encode())
            c = submit_signature(session, owner, c.id, public.fingerprint, signature)
            seq = c.ledger_seq
    finally:
        engine.dispose()
    cli_ctx.console.print(
        cli_ctx.t(
            f"已签署 {number}（密钥 {public.fingerprint[:16]}…），台账条目 #{seq}",
            f"signed {number} (key {public.fingerprint[:16]}…), ledger entry #{seq}",
        ),
        highlight=False,
    )


@commitments_group.command("accept")
@click.argument("number")
@DATE_OPTION
@db_option
@pass_cli
def accept(cli_ctx: CliContext, number: str, on, db_url: str | None) -> None:
    """行政服务中心确认并公示（平台密钥会签）。Accept and publish (the platform key counter-signs)."""
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine, write=True) as session:
            from commitments.services.queries import get_by_number
            from commitments.services.signatures import accept_commitment

            c = get_by_number(session, number)
            accept_commitment(session, _admin(), c.id, _today(cli_ctx, on), _calendar(session))
            seq = c.acceptance_seq
    finally:
        engine.dispose()
    cli_ctx.console.print(
        cli_ctx.t(
            f"已确认并公示 {number}，台账条目 #{seq}",
            f"accepted and published {number}, ledger entry #{seq}",
        ),
        highlight=False,
    )


@commitments_group.command("letter")
@click.argument("number")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False), help="PDF 文件 / FILE.pdf"
)
@db_option
@pass_cli
def letter(cli_ctx: CliContext, number: str, out: str, db_url: str | None) -> None:
    """承诺书 PDF。The commitment letter (PDF)."""
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            from commitments.services.documents import letter_pdf
            from commitments.services.queries import get_by_number

            pdf = letter_pdf(session, get_by_number(session, number))
    finally:
        engine.dispose()
    Path(out).write_bytes(pdf)
    cli_ctx.console.print(cli_ctx.t(f"已写入 {out}", f"wrote {out}"), highlight=False)


COMMANDS = [ledger_group, monitor_group, report_group, commitments_group]
