"""Password rule beyond Django's: letters and digits or symbols, not one character class."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    def validate(self, password: str, user: Any = None) -> None:
        has_letter = any(c.isalpha() for c in password)
        has_other = any(not c.isalpha() for c in password)
        if not (has_letter and has_other):
            raise ValidationError(
                _("Kata sandi harus memuat huruf serta angka atau simbol."),
                code="password_character_classes",
            )

    def get_help_text(self) -> str:
        return _("Kata sandi harus memuat huruf serta angka atau simbol.")
