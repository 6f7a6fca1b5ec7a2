from __future__ import annotations

from garage import tokens


def test_tokens_verify_only_with_the_same_secret_and_purpose() -> None:
    token_id, token = tokens.new_token("s" * 32, "quote-decision")
    assert tokens.verify(token, "s" * 32, "quote-decision") == token_id
    assert tokens.verify(token, "t" * 32, "quote-decision") is None
    assert tokens.verify(token, "s" * 32, "calendar") is None
    assert (
        tokens.verify(token[:-1] + ("A" if token[-1] != "A" else "B"), "s" * 32, "quote-decision")
        is None
    )
    assert tokens.verify("garbage", "s" * 32, "quote-decision") is None
    assert tokens.verify(token[:-1] + "é", "s" * 32, "quote-decision") is None
    assert (
        tokens.verify(tokens.sign("prof.1", "k" * 32, "calendar"), "k" * 32, "calendar") == "prof.1"
    )
