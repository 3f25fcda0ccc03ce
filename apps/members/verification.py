"""Verification providers. ``LocalCheckProvider`` does what can be checked here (the GB 11643 number, a
plausible age, both photos present); a real identity service (公安身份核验) plugs in behind the same
``check`` method and returns the same result."""
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Result:
    ok: bool
    reason: str = ""


class VerificationProvider:
    name = ""

    def check(self, member) -> Result:
        raise NotImplementedError


class LocalCheckProvider(VerificationProvider):
    name = "local"

    def check(self, member) -> Result:
        from django.core.exceptions import ValidationError

        from apps.common.validators import validate_resident_id

        try:
            validate_resident_id(member.id_number)
        except ValidationError as exc:
            return Result(False, exc.messages[0])
        age = (date.today() - member.birth_date).days // 365
        if age < 18:
            return Result(False, "未满 18 周岁，不能申请贷款。")
        if not (member.id_photo_front and member.id_photo_back):
            return Result(False, "缺少身份证正反面照片。")
        return Result(True)


def provider(name: str = "local") -> VerificationProvider:
    return {"local": LocalCheckProvider}[name]()
