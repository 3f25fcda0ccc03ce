"""Validators of Chinese identifiers used across the product."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a unified social credit code."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """统一社会信用代码: 18 characters from the GB 32100 set, the last one the check character."""
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise ValidationError(_("统一社会信用代码应为 18 位，请核对营业执照。"), code="uscc_length")
    bad = [c for c in code if c not in USCC_CHARS]
    if bad:
        raise ValidationError(_("统一社会信用代码含有无效字符“%(c)s”（不使用 I、O、Z、S、V）。") % {"c": bad[0]},
                              code="uscc_chars")
    if not code[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码第 3–8 位应为行政区划数字代码。"), code="uscc_region")
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确，请核对后重新输入。"), code="uscc_check")
    return code


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    """GB 11643-1999 check character of an 18-digit resident identity number."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def validate_resident_id(value: str) -> str:
    """18-digit resident ID: digits (last may be X), a real birth date not in the future, and the
    GB 11643 check digit. Returns the normalised number (upper-case X)."""
    import datetime

    number = (value or "").strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("身份证号应为 18 位（前 17 位为数字，末位为数字或 X）。"), code="id_format")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期无效，请核对。"), code="id_birth") from None
    if birth > datetime.date.today() or birth.year < 1900:
        raise ValidationError(_("身份证号中的出生日期无效，请核对。"), code="id_birth")
    if resident_id_check_char(number[:17]) != number[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对后重新输入。"), code="id_check")
    return number


def mask_id(number: str) -> str:
    """110***********1234"""
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}" if number and len(number) > 7 else number


def mask_mobile(number: str) -> str:
    """138****5678"""
    return f"{number[:3]}****{number[-4:]}" if number and len(number) == 11 else number
