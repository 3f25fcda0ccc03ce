"""Validators of Chinese identifiers used across the product, and the folding of what people type on a
Chinese keyboard (full-width digits, letters and punctuation) to the ASCII that is stored."""
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Full-width ASCII variants (U+FF01 '！' … U+FF5E '～') and the ideographic space, as a Chinese input method
# types them: folded one-to-one to ASCII (the part of NFKC that keeps the meaning). Other compatibility forms
# that NFKC would also fold (superscripts ², circled ①, Arabic-Indic ٣, fractions…) are not what anybody meant
# to type in an identifier or an amount: they are refused, never silently read as digits.
FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def fold_fullwidth(text: str) -> str:
    """'１２３．４５' → '123.45', 'ｘ' → 'x', ideographic space → space; everything else unchanged."""
    return text.translate(FULLWIDTH)


def shown_char(ch: str) -> str:
    """A character as an error message can show it (invisible ones by code point)."""
    return ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def refuse_non_ascii(text: str, message=None) -> str:
    """``text`` itself when it is ASCII; otherwise a ValidationError naming the first other character."""
    for ch in text:
        if not ch.isascii():
            kind = unicodedata.category(ch)[0]
            msg = message or (_("“%(char)s”不是可识别的数字或字母，请用半角数字 0–9 和英文字母填写。")
                              if kind in "LN" else _("含有无法识别的字符“%(char)s”，请用半角数字和字母填写。"))
            raise ValidationError(msg, code="non_ascii", params={"char": shown_char(ch)})
    return text


def ascii_identifier(value, *, squeeze: str = " ", upper: bool = True) -> str:
    """What a person typed as an identifier, as it is stored: full-width folded, spaces (and the other
    characters in ``squeeze``) removed, upper case; any character left outside ASCII is refused."""
    text = fold_fullwidth(str(value or ""))
    text = "".join(ch for ch in text if not ch.isspace() and ch not in squeeze)
    return refuse_non_ascii(text.upper() if upper else text)


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 32100-2015, the table of 登记管理部门代码 (1st character) and 机构类别代码 (2nd character):
# 1 机构编制 — 1 机关, 2 事业单位, 3 中央编办直接管理机构编制的群众团体, 9 其他; 5 民政 — 1 社会团体,
# 2 民办非企业单位, 3 基金会, 9 其他; 9 工商 — 1 企业, 2 个体工商户, 3 农民专业合作社; Y 其他 — 1.
# Authorities assigned after the standard (e.g. 3 司法行政 for law firms, N 农业 for collective economic
# organisations) register no lending institution: they are refused like a mistyped first character.
USCC_AUTHORITIES = {"1": "1239", "5": "1239", "9": "123", "Y": "1"}


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a unified social credit code."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """统一社会信用代码: 18 characters from the GB 32100 set, the last one the check character."""
    code = ascii_identifier(value)
    if len(code) != 18:
        raise ValidationError(_("统一社会信用代码应为 18 位，请核对营业执照。"), code="uscc_length")
    bad = [c for c in code if c not in USCC_CHARS]
    if bad:
        raise ValidationError(_("统一社会信用代码含有无效字符“%(c)s”（不使用 I、O、Z、S、V）。") % {"c": bad[0]},
                              code="uscc_chars")
    categories = USCC_AUTHORITIES.get(code[0])
    if categories is None:
        raise ValidationError(_("统一社会信用代码第 1 位（登记管理部门代码）应为 1、5、9 或 Y（机构编制、民政、"
                                "工商、其他），请核对营业执照。"), code="uscc_authority")
    if code[1] not in categories:
        raise ValidationError(_("统一社会信用代码第 2 位（机构类别代码）“%(c)s”不符合第 1 位的登记管理部门"
                                "（%(a)s 可用的类别为 %(allowed)s），请核对营业执照。")
                              % {"c": code[1], "a": code[0], "allowed": "、".join(categories)},
                              code="uscc_category")
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

    number = ascii_identifier(value)  # after this every digit is 0–9: no superscript reaches int()
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
