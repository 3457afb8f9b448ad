"""Rotating the token secret (ONETRIP_SECRET_KEY): tokens of the previous secret stay valid while
it is listed in ONETRIP_SECRET_KEY_PREVIOUS, and only then."""

from __future__ import annotations

import pytest
from litestar.exceptions import NotAuthorizedException

from api.auth import Principal, decode_token, issue_token
from api.settings import Settings

OLD, NEW = "old-secret-" + "a" * 40, "new-secret-" + "b" * 40


def test_tokens_of_the_previous_secret_are_accepted_during_a_rotation():
    who = Principal(
        user_id=3,
        username="reviewer-fgw",
        role="reviewer",
        display_name="审查员",
        enterprise_id=None,
        department="fgw",
    )
    token, _ = issue_token(who, OLD, 30)
    assert decode_token(token, NEW, (OLD,)).username == "reviewer-fgw"
    with pytest.raises(NotAuthorizedException, match="令牌无效"):
        decode_token(token, NEW)  # the rotation is over: old tokens are refused
    with pytest.raises(NotAuthorizedException, match="令牌无效"):
        decode_token(token, NEW, ("some-other-secret-" + "c" * 40,))
    assert decode_token(issue_token(who, NEW, 30)[0], NEW, (OLD,)).user_id == 3


def test_previous_secrets_come_from_the_environment():
    s = Settings.from_env(
        {"ONETRIP_SECRET_KEY": NEW, "ONETRIP_SECRET_KEY_PREVIOUS": f" {OLD} , x,"}
    )
    assert s.secret_key == NEW and s.previous_secret_keys == (OLD, "x")
