from __future__ import annotations

import pytest
from pydantic import ValidationError

from notifier.settings import NotifierSettings


def test_teachers_and_smtp_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFIER_GARAGE_TEACHERS", " a@lycee.example,b@lycee.example ,")
    monkeypatch.setenv("GUICHET_SMTP_URL", "smtp://mail.example:587?starttls=true")
    settings = NotifierSettings()
    assert settings.garage_teachers == ("a@lycee.example", "b@lycee.example")
    assert settings.smtp_url == "smtp://mail.example:587?starttls=true"
    monkeypatch.setenv("GUICHET_SMTP_URL", "mail.example:25")
    with pytest.raises(ValidationError, match="GUICHET_SMTP_URL"):
        NotifierSettings()
