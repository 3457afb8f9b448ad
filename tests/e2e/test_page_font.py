"""Pages show Chinese on a machine with no Chinese font: the app serves its bundled font."""

from __future__ import annotations

import httpx

from i18n.fonts import BUNDLED_CJK_FONT


def test_the_bundled_font_is_served_to_anyone_and_the_stylesheet_uses_it(live):
    with httpx.Client(base_url=live.url, timeout=30) as anon:
        font = anon.get("/fonts/cjk.ttf")
        assert font.status_code == 200
        assert font.headers["content-type"].startswith("font/ttf")
        assert font.content == BUNDLED_CJK_FONT.read_bytes()
        css = anon.get("/static/app.css").text
        assert 'url("/fonts/cjk.ttf")' in css and '"onetrip CJK"' in css
        login = anon.get("/login")
        assert login.status_code == 200 and "/static/app.css" in login.text
