import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """Strong passwords: letters and digits both, at least one non-letter-or-digit or 12+ chars."""

    def validate(self, password, user=None):
        if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
            raise ValidationError(_("密码必须同时包含字母和数字。"), code="password_classes")

    def get_help_text(self):
        return _("密码必须同时包含字母和数字。")
