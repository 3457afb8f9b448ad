"""What a process takes from its settings beyond the web app: the document font and the
administration's signing key.  Called once by each entry point (the app factory, the CLI), so
that no service reads the environment itself."""

from __future__ import annotations

from api.settings import Settings


def configure_process(settings: Settings) -> None:
    # imported only when configured: `onetrip plan` should not load reportlab or cryptography
    if settings.cjk_font:
        from approvals.pdf import use_font_file

        use_font_file(settings.cjk_font)
    if settings.admin_signing_key:
        from commitments.services.keys import use_admin_key_file

        use_admin_key_file(settings.admin_signing_key)
