"""数银开放接口 v1: the institution back office's offers, cases, settlements and accounts as REST/JSON.

Each endpoint calls the same selectors and services as the back-office page it mirrors, with the same permission
code (the key's codes, see ``services.authenticate``) and the same data scope (the whole institution): another
institution's object answers 404 exactly like a missing one. Every POST takes an ``Idempotency-Key`` header and
replays the first answer (``idempotent``)."""
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, JsonResponse
from ninja import NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import Field

from apps.cases import services as case_services
from apps.cases.selectors import case_get_for_user, cases_for_user
from apps.common import clock
from apps.dispatch import selectors as dispatch_selectors
from apps.dispatch import services as dispatch_services
from apps.dispatch.disclosure import client_view
from apps.dispatch.models import Candidate, DeclineReason
from apps.positions.selectors import institution_finance_summary, journal_for_user
from apps.regions.selectors import region_path_name
from apps.settlement import pdf as settlement_pdf
from apps.settlement import services as settlement_services
from apps.settlement.selectors import settlement_get_for_user, settlements_for_user

from . import services
from .models import IdempotencyRecord

DESCRIPTION = """数银在线为合作机构提供的开放接口：查询与受理派单、办理案件、支付结算账单、查询账户余额与流水。

**认证**：机构管理员在机构后台“管理员管理 → API密钥”新建密钥（只显示一次），请求时带请求头
`Authorization: Bearer <密钥>`。密钥的权限与角色一样勾选，且不超过数银允许机构使用的权限；每个密钥有每分钟请求上限，
超过时返回 429 和 `Retry-After`。

**幂等**：每个 POST 请求必须带请求头 `Idempotency-Key`（1–100 个字符，建议用 UUID）。同一机构以同一个值重复调用同一接口，
返回第一次的结果（响应头 `Idempotent-Replayed: true`），不会重复执行；同一个值用于不同的请求内容返回 422。

**数据范围**：与机构后台相同；其他机构的对象与不存在的对象一样返回 404。金额为字符串（元，两位小数），时间为 ISO 8601（北京时间）。

**事件推送**：派单、客户选择、案件与结算的变化可通过 Webhook 推送，见机构后台“Webhook 管理”。"""


class KeyAuth(HttpBearer):
    def authenticate(self, request, token):
        user = services.authenticate(token)
        if user is not None:
            request.user = user  # the operation log names the key's account
        return user


api = NinjaAPI(title="数银在线开放接口", version="1.0.0", description=DESCRIPTION, auth=KeyAuth(),
               urls_namespace="api-v1", docs_url=None)


class Error(Schema):
    detail: str = Field(description="错误说明（中文），告诉调用方下一步怎么做")


def _error(status: int, detail: str, **headers) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})
    for k, v in headers.items():
        response[k] = v
    return response


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return _error(401, "API密钥无效或已吊销。请在请求头带 Authorization: Bearer <密钥>，密钥由机构管理员在“API密钥”页面新建。")


@api.exception_handler(services.RateLimited)
def _rate_limited(request, exc):
    return _error(429, f"请求过于频繁：已超过该密钥每分钟的请求上限，请 {exc.retry_after} 秒后再试。",
                  **{"Retry-After": str(exc.retry_after)})


def _denied_text(exc) -> str:
    code = str(exc) if str(exc) and "." in str(exc) else ""
    return "该API密钥没有此操作的权限" + (f"（{code}）" if code else "") + "，请机构管理员新建具备该权限的密钥。"


NOT_FOUND = "未找到该对象：编号不存在或不属于贵机构。"


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(403, _denied_text(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(404, NOT_FOUND)


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    return _error(400, exc.messages[0])


@api.exception_handler(NinjaValidationError)
def _unparsable(request, exc):
    where = ", ".join(".".join(str(p) for p in e.get("loc", ())[1:]) or "请求" for e in exc.errors[:3])
    return _error(422, f"请求参数不正确：{where}。请按接口文档填写。")


def need(request, code: str) -> None:
    if not request.auth.has_perm(code):
        raise PermissionDenied(code)


# ---- idempotent POSTs ----

def _json(data) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False))


def idempotent(view):
    """Run a POST once per ``Idempotency-Key`` (per institution and route) and replay its first answer.

    1. insert the key's row in the transaction that runs the request: a concurrent duplicate blocks on the unique
       index until this one commits (then finds the row) or rolls back (then runs itself);
    2. run the view (services open savepoints inside this transaction); an answer below 500 — success or a refusal
       the services gave — is stored with the row and committed with the request's own changes;
    3. a later request with the same key gets the stored status and body; with another body, 422."""
    @wraps(view)
    def run(request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 100:
            return _error(400, "请在请求头带 Idempotency-Key（1–100 个字符，建议用 UUID）；重试同一操作时使用同一个值。")
        institution_id = request.auth.organization.root_id
        route = f"{request.method} {request.path}"[:300]
        digest = hashlib.sha256(request.body or b"").hexdigest()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(institution_id=institution_id, key=key, route=route,
                                                              request_hash=digest, api_key=request.auth.api_key)
            except IntegrityError:
                record = IdempotencyRecord.objects.get(institution_id=institution_id, key=key, route=route)
                if record.request_hash != digest:
                    return _error(422, "该 Idempotency-Key 已用于内容不同的请求，请为新的操作换一个值。")
                response = JsonResponse(record.body, status=record.status_code, json_dumps_params={"ensure_ascii": False})
                response["Idempotent-Replayed"] = "true"
                return response
            try:
                status, body = 200, _json(view(request, *args, **kwargs))
            except Http404:
                status, body = 404, {"detail": NOT_FOUND}
            except PermissionDenied as exc:
                status, body = 403, {"detail": _denied_text(exc)}
            except ValidationError as exc:
                status, body = 400, {"detail": exc.messages[0]}
            record.status_code, record.body = status, body
            record.save(update_fields=["status_code", "body"])
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})

    return run


IDEMPOTENCY = {"parameters": [{"in": "header", "name": "Idempotency-Key", "required": True,
                               "schema": {"type": "string", "maxLength": 100},
                               "description": "幂等键：同一操作重试时使用同一个值（建议 UUID），重复请求返回第一次的结果"}]}
POST_ERRORS = {400: Error, 403: Error, 404: Error, 422: Error}


def _dt(value):
    return value.isoformat() if value else None


# ---- offers (可受理贷款查询) ----

offers = Router(tags=["派单"])


class Client(Schema):
    name: str = Field(description="客户姓名（受理前只显示姓）")
    mobile: str = Field(description="手机号（受理前脱敏）")
    id_number: str = Field(description="身份证号（脱敏；受理后在详情中完整显示并记录查看）")
    full: bool = Field(description="是否完整信息")


class OfferOut(Schema):
    id: int = Field(description="派单编号")
    order_no: str = Field(description="申请单号")
    status: str = Field(description="状态代码：offered 待受理、accepted 已受理、declined 已拒绝、lapsed 超时未处理、"
                                    "refused 受理失败、cancelled 已撤回、chosen 客户已选定、released 未被选定")
    status_label: str = Field(description="状态（中文）")
    product: str = Field(description="贷款产品")
    amount: str = Field(description="申请金额（元）")
    term_months: int = Field(description="期限（月）")
    region: str = Field(description="所在地区")
    round: int = Field(description="派发轮次")
    manual: bool = Field(description="人工加派")
    offered_at: str = Field(description="派单时间")
    deadline: str = Field(description="受理截止时间")
    answered_at: str | None = Field(None, description="答复时间")
    client: Client


class OfferDetail(OfferOut):
    purpose: str = Field(description="贷款用途")
    region_path: str = Field(description="地区全称")
    client_type: str = Field(description="客户类型")
    hold_amount: str = Field(description="受理时冻结的保证金头寸（元）")
    decline_code: str = Field(description="拒绝原因代码")
    decline_text: str = Field(description="拒绝说明")
    refuse_reason: str = Field(description="受理失败原因")
    can_answer: bool = Field(description="现在能否受理或拒绝")


class OfferPage(Schema):
    items: list[OfferOut]
    next_cursor: int | None = Field(None, description="下一页：把它作为 cursor 再次请求；为空表示没有更多")


PAGE = 20  # the back office's default page size


class OfferFilter(Schema):
    status: str | None = Field(None, description="只看该状态（如 offered 待受理）；不填为全部")
    cursor: int | None = Field(None, description="上一页返回的 next_cursor")
    limit: int = Field(PAGE, ge=1, le=100, description="每页条数（1–100，默认 20）")


def _offer(cand: Candidate, client: dict) -> dict:
    app = cand.application
    return {"id": cand.pk, "order_no": app.order_no, "status": cand.status, "status_label": cand.get_status_display(),
            "product": app.product.name, "amount": str(app.amount), "term_months": app.term_months,
            "region": app.region.name if app.region_id else "", "round": cand.round.number, "manual": cand.manual,
            "offered_at": _dt(cand.offered_at), "deadline": _dt(cand.deadline), "answered_at": _dt(cand.answered_at),
            "client": client}


def _offer_detail(request, cand: Candidate) -> dict:
    app = cand.application
    can_answer = (request.auth.has_perm("dispatch.answer_case") and cand.status == Candidate.Status.OFFERED
                  and cand.deadline > clock.now())
    return {**_offer(cand, client_view(cand, viewer=request.auth)), "purpose": app.purpose,
            "region_path": region_path_name(app.region), "client_type": app.get_client_type_display(),
            "hold_amount": str(app.product.hold_amount), "decline_code": cand.decline_code,
            "decline_text": cand.decline_text, "refuse_reason": cand.refuse_reason, "can_answer": can_answer}


OFFER_ROW = ("pk", "status", "application__order_no", "application__product__name", "application__amount",
             "application__term_months", "application__region__name", "round__number", "manual", "offered_at",
             "deadline", "answered_at", "application__member__real_name", "application__member__mobile",
             "application__member__id_number")
STATUS_LABELS = dict(Candidate.Status.choices)


def _offer_row(row) -> dict:
    """A list row read as plain values (the list is the API's busiest call: no model instances), masked by the
    back office's own helper on a stand-in carrying exactly what it reads."""
    (pk, status, order_no, product, amount, term, region, rnd, manual, offered, deadline, answered, name, mobile,
     id_number) = row
    stand_in = SimpleNamespace(shows_client=status in (Candidate.Status.ACCEPTED, Candidate.Status.CHOSEN),
                               application=SimpleNamespace(member=SimpleNamespace(
                                   real_name=name, mobile=mobile, id_number=id_number)))
    return {"id": pk, "order_no": order_no, "status": status, "status_label": str(STATUS_LABELS[status]),
            "product": product, "amount": str(amount), "term_months": term, "region": region or "", "round": rnd,
            "manual": manual, "offered_at": _dt(offered), "deadline": _dt(deadline), "answered_at": _dt(answered),
            "client": client_view(stand_in)}


@offers.get("/offers", response=OfferPage, summary="派单列表",
            description="派给本机构的派单，新到的在前（权限：dispatch.view_case）。客户信息与后台列表一样脱敏。")
def offer_list(request, filters: Query[OfferFilter]):
    need(request, "dispatch.view_case")
    qs = dispatch_selectors.offers_for_user(user=request.auth).order_by("-pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.cursor:
        qs = qs.filter(pk__lt=filters.cursor)
    rows = list(qs.values_list(*OFFER_ROW)[:filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[:filters.limit]
    # answered directly (the schema above documents it; validating our own rows again would double the cost)
    return JsonResponse({"items": [_offer_row(r) for r in rows], "next_cursor": rows[-1][0] if more else None},
                        json_dumps_params={"ensure_ascii": False})


@offers.get("/offers/{offer_id}", response={200: OfferDetail, 404: Error}, summary="派单详情",
            description="与机构后台派单页相同：受理前客户姓名只显示姓、手机号与身份证号脱敏；受理后显示完整信息，"
                        "每次查看都记入个人信息查看记录（权限：dispatch.view_case）。")
def offer_detail(request, offer_id: int):
    need(request, "dispatch.view_case")
    return _offer_detail(request, dispatch_selectors.offer_get_for_user(user=request.auth, pk=offer_id))


class DeclineIn(Schema):
    code: str = Field(description="拒绝原因代码：" + "、".join(f"{c} {label}" for c, label in DeclineReason.choices))
    text: str = Field("", max_length=300, description="拒绝说明（原因为 other 时必填）")


@offers.post("/offers/{offer_id}/accept", response={200: OfferDetail, **POST_ERRORS}, summary="受理派单",
             openapi_extra=IDEMPOTENCY,
             description="受理将冻结产品规定的保证金头寸；头寸或同时服务人数不足时受理失败（状态 refused，"
                         "refuse_reason 说明原因）（权限：dispatch.answer_case）。")
@idempotent
def offer_accept(request, offer_id: int):
    need(request, "dispatch.answer_case")
    cand = dispatch_selectors.offer_get_for_user(user=request.auth, pk=offer_id)
    dispatch_services.offer_accept(actor=request.auth, candidate_id=cand.pk)
    return _offer_detail(request, dispatch_selectors.offer_get_for_user(user=request.auth, pk=offer_id))


@offers.post("/offers/{offer_id}/decline", response={200: OfferDetail, **POST_ERRORS}, summary="拒绝派单",
             openapi_extra=IDEMPOTENCY, description="拒绝派单（计入弃单率）（权限：dispatch.answer_case）。")
@idempotent
def offer_decline(request, offer_id: int, body: DeclineIn):
    need(request, "dispatch.answer_case")
    cand = dispatch_selectors.offer_get_for_user(user=request.auth, pk=offer_id)
    dispatch_services.offer_decline(actor=request.auth, candidate_id=cand.pk, code=body.code, text=body.text)
    return _offer_detail(request, dispatch_selectors.offer_get_for_user(user=request.auth, pk=offer_id))


# ---- cases (案件办理) ----

cases = Router(tags=["案件"])


class CaseOut(Schema):
    id: int = Field(description="案件编号")
    order_no: str = Field(description="申请单号")
    offer_id: int = Field(description="对应的派单编号")
    status: str = Field(description="状态代码：new 待分配、allocated 已分配、reviewing 机构审核、signing 待面签、"
                                    "signed 已面签、disbursed 已放款、cannot_lend 无法操作")
    status_label: str = Field(description="状态（中文）")
    product: str
    amount: str = Field(description="申请金额（元）")
    unit: str = Field(description="承办机构")
    officer_id: int | None = Field(None, description="业务员编号")
    officer: str = Field(description="业务员")
    signing_at: str | None = Field(None, description="预约面签时间")
    signing_place: str
    signed_at: str | None = None
    disbursed_amount: str | None = Field(None, description="放款金额（元）")
    disbursed_on: str | None = None
    contract_no: str
    cannot_lend_reason: str
    created_at: str = Field(description="客户选定本机构的时间")


def _case(case) -> dict:
    app = case.application
    return {"id": case.pk, "order_no": app.order_no, "offer_id": case.candidate_id, "status": case.status,
            "status_label": case.get_status_display(), "product": app.product.name, "amount": str(app.amount),
            "unit": case.unit.name, "officer_id": case.officer_id,
            "officer": case.officer.display_name if case.officer_id else "", "signing_at": _dt(case.signing_at),
            "signing_place": case.signing_place, "signed_at": _dt(case.signed_at),
            "disbursed_amount": str(case.disbursed_amount) if case.disbursed_amount is not None else None,
            "disbursed_on": case.disbursed_on.isoformat() if case.disbursed_on else None,
            "contract_no": case.contract_no, "cannot_lend_reason": case.cannot_lend_reason,
            "created_at": _dt(case.created_at)}


def _case_after(request, case_id: int) -> dict:
    return _case(case_get_for_user(user=request.auth, pk=case_id))


class CaseFilter(Schema):
    status: str | None = Field(None, description="只看该状态")
    cursor: int | None = Field(None, description="上一页返回的 next_cursor")
    limit: int = Field(PAGE, ge=1, le=100, description="每页条数（1–100，默认 20）")


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: int | None = None


@cases.get("/cases", response=CasePage, summary="案件列表", description="客户选定本机构的案件（权限：cases.view_case）。")
def case_list(request, filters: Query[CaseFilter]):
    need(request, "cases.view_case")
    qs = cases_for_user(user=request.auth).order_by("-pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.cursor:
        qs = qs.filter(pk__lt=filters.cursor)
    rows = list(qs[:filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[:filters.limit]
    return {"items": [_case(c) for c in rows], "next_cursor": rows[-1].pk if more else None}


@cases.get("/cases/{case_id}", response={200: CaseOut, 404: Error}, summary="案件详情",
           description="权限：cases.view_case。")
def case_detail(request, case_id: int):
    need(request, "cases.view_case")
    return _case_after(request, case_id)


class AllocateIn(Schema):
    officer_id: int | None = Field(None, description="分配给业务员（本机构有办理权限的在职业务员）")
    unit_id: int | None = Field(None, description="或分配给下级机构")


class NoteIn(Schema):
    note: str = Field("", max_length=300, description="说明")


class BookIn(Schema):
    at: datetime = Field(description="面签时间（ISO 8601）")
    place: str = Field(max_length=200, description="面签地点")


class SignedIn(Schema):
    note: str = Field(max_length=300, description="面签结果，如“客户已签署借款合同”")


class DisburseIn(Schema):
    amount: Decimal = Field(description="放款金额（元，最多两位小数）", decimal_places=2)
    disbursed_on: date = Field(description="放款日期")
    contract_no: str = Field(max_length=50, description="合同编号")
    term_months: int = Field(ge=1, le=360, description="贷款期限（月）")
    annual_rate: Decimal = Field(description="年利率（%），如 6.5", decimal_places=3)


class CannotLendIn(Schema):
    reason: str = Field(max_length=300, description="无法放款原因")


CASE_POST = {"response": {200: CaseOut, **POST_ERRORS}, "openapi_extra": IDEMPOTENCY}


def _case_step(request, case_id: int, code: str, step, **fields):
    """One case step through the API: the key needs ``code``, the case must be in the key's scope (404 otherwise),
    then the same service as the back office's page; the answer is the case as it is afterwards."""
    need(request, code)
    step(actor=request.auth, case_id=case_get_for_user(user=request.auth, pk=case_id).pk, **fields)
    return _case_after(request, case_id)


@cases.post("/cases/{case_id}/allocate", summary="分配案件", description="权限：cases.allocate_case。", **CASE_POST)
@idempotent
def case_allocate(request, case_id: int, body: AllocateIn):
    return _case_step(request, case_id, "cases.allocate_case", case_services.case_allocate,
                      officer_id=body.officer_id, unit_id=body.unit_id)


@cases.post("/cases/{case_id}/review", summary="开始审核", description="权限：cases.handle_case。", **CASE_POST)
@idempotent
def case_review(request, case_id: int, body: NoteIn):
    return _case_step(request, case_id, "cases.handle_case", case_services.case_start_review, note=body.note)


@cases.post("/cases/{case_id}/signing/book", summary="预约面签",
            description="预约或改约面签（改约记入案件日志）（权限：cases.handle_case）。", **CASE_POST)
@idempotent
def case_book_signing(request, case_id: int, body: BookIn):
    return _case_step(request, case_id, "cases.handle_case", case_services.case_book_signing,
                      at=body.at, place=body.place)


@cases.post("/cases/{case_id}/signing/record", summary="记录面签",
            description="面签已完成（不早于预约时间）（权限：cases.handle_case）。", **CASE_POST)
@idempotent
def case_record_signing(request, case_id: int, body: SignedIn):
    return _case_step(request, case_id, "cases.handle_case", case_services.case_record_signing, note=body.note)


@cases.post("/cases/{case_id}/disburse", summary="录入放款",
            description="录入放款后进入结算（权限：cases.handle_case）。", **CASE_POST)
@idempotent
def case_disburse(request, case_id: int, body: DisburseIn):
    return _case_step(request, case_id, "cases.handle_case", case_services.case_disburse, amount=body.amount,
                      disbursed_on=body.disbursed_on, contract_no=body.contract_no, term_months=body.term_months,
                      annual_rate=body.annual_rate)


@cases.post("/cases/{case_id}/cannot-lend", summary="无法放款",
            description="能否操作：否。案件回到数银贷审，保证金头寸解冻，计入弃单（权限：cases.handle_case）。", **CASE_POST)
@idempotent
def case_cannot_lend(request, case_id: int, body: CannotLendIn):
    return _case_step(request, case_id, "cases.handle_case", case_services.case_cannot_lend, reason=body.reason)


# ---- settlements (结算管理) ----

settlements = Router(tags=["结算"])


class SettlementOut(Schema):
    id: int = Field(description="结算单编号")
    number: str = Field(description="结算单号")
    order_no: str = Field(description="申请单号")
    case_id: int
    status: str = Field(description="状态代码：confirming 金额确认、commission 佣金确认、statement 已出账单、"
                                    "paid 已付款待确认、confirmed 结算员已确认、released 已恢复头寸")
    status_label: str
    disbursed_amount: str = Field(description="放款金额（元）")
    commission: str | None = Field(None, description="机构佣金（元）")
    service_fee: str | None = Field(None, description="客户服务费（元）")
    total: str | None = Field(None, description="应付合计（元）")
    statement_at: str | None = Field(None, description="出账时间")
    due_date: str | None = Field(None, description="付款期限")
    paid_at: str | None = None


def _money(v):
    return str(v) if v is not None else None


def _settlement(s) -> dict:
    return {"id": s.pk, "number": s.number, "order_no": s.application.order_no, "case_id": s.case_id,
            "status": s.status, "status_label": s.get_status_display(), "disbursed_amount": str(s.disbursed_amount),
            "commission": _money(s.commission), "service_fee": _money(s.service_fee), "total": _money(s.total),
            "statement_at": _dt(s.statement_at), "due_date": s.due_date.isoformat() if s.due_date else None,
            "paid_at": _dt(s.paid_at)}


class SettlementPage(Schema):
    items: list[SettlementOut]
    next_cursor: int | None = None


@settlements.get("/settlements", response=SettlementPage, summary="结算单列表",
                 description="权限：settlement.view_settlement。")
def settlement_list(request, filters: Query[CaseFilter]):
    need(request, "settlement.view_settlement")
    qs = settlements_for_user(user=request.auth).order_by("-pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.cursor:
        qs = qs.filter(pk__lt=filters.cursor)
    rows = list(qs[:filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[:filters.limit]
    return {"items": [_settlement(s) for s in rows], "next_cursor": rows[-1].pk if more else None}


@settlements.get("/settlements/{settlement_id}", response={200: SettlementOut, 404: Error}, summary="结算单详情",
                 description="权限：settlement.view_settlement。")
def settlement_detail(request, settlement_id: int):
    need(request, "settlement.view_settlement")
    return _settlement(settlement_get_for_user(user=request.auth, pk=settlement_id))


@settlements.get("/settlements/{settlement_id}/statement.pdf", summary="结算账单 PDF",
                 response={200: None, 404: Error},
                 description="与机构后台下载的账单相同（出账后才有）（权限：settlement.view_settlement）。")
def settlement_statement(request, settlement_id: int):
    need(request, "settlement.view_settlement")
    s = settlement_get_for_user(user=request.auth, pk=settlement_id)
    if s.statement_at is None:
        return _error(404, "该结算单尚未出账，没有账单。")
    response = HttpResponse(settlement_pdf.statement_pdf(s), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{s.number}.pdf"'
    return response


@settlements.post("/settlements/{settlement_id}/pay-from-cash", summary="从现金账户支付",
                  response={200: SettlementOut, **POST_ERRORS}, openapi_extra=IDEMPOTENCY,
                  description="从本机构现金账户支付账单应付合计（一笔记账凭证），待数银结算员确认收款"
                              "（权限：settlement.pay_settlement）。")
@idempotent
def settlement_pay_cash(request, settlement_id: int):
    need(request, "settlement.pay_settlement")
    s = settlement_get_for_user(user=request.auth, pk=settlement_id)
    settlement_services.pay_from_cash(actor=request.auth, settlement_id=s.pk)
    return _settlement(settlement_get_for_user(user=request.auth, pk=settlement_id))


# ---- accounts (账户) ----

accounts = Router(tags=["账户"])


class Balances(Schema):
    cash: str = Field(description="现金账户余额（元）")
    margin: str = Field(description="保证金账户余额（元）")
    held: str = Field(description="保证金冻结中（元）")
    position: str = Field(description="可用头寸 = 保证金余额 − 冻结（元）")
    risk: str = Field(description="风险保证金（元）")
    low_position: bool = Field(description="头寸是否低于预警线")


class JournalLineOut(Schema):
    id: int
    at: str = Field(description="时间")
    account: str = Field(description="账户类型代码：cash、margin、risk")
    account_label: str
    amount: str = Field(description="发生额（元，正为增加）")
    balance_after: str = Field(description="余额（元）")
    memo: str = Field(description="摘要")
    kind: str = Field(description="凭证类型")


class JournalPage(Schema):
    items: list[JournalLineOut]
    next_cursor: int | None = None


@accounts.get("/accounts/balances", response=Balances, summary="账户余额",
              description="权限：positions.view_account。")
def balances(request):
    need(request, "positions.view_account")
    s = institution_finance_summary(request.auth.organization)
    return {k: str(s[k]) for k in ("cash", "margin", "held", "position", "risk")} | {"low_position": s["low_position"]}


class JournalFilter(Schema):
    cursor: int | None = Field(None, description="上一页返回的 next_cursor")
    limit: int = Field(PAGE, ge=1, le=100, description="每页条数（1–100，默认 20）")


@accounts.get("/accounts/journal", response=JournalPage, summary="账户流水",
              description="本机构各账户的流水，新的在前（权限：positions.view_journalline）。")
def journal(request, filters: Query[JournalFilter]):
    need(request, "positions.view_journalline")
    qs = journal_for_user(user=request.auth).order_by("-pk")
    if filters.cursor:
        qs = qs.filter(pk__lt=filters.cursor)
    rows = list(qs[:filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[:filters.limit]
    return {"items": [{"id": ln.pk, "at": _dt(ln.created_at), "account": ln.account.kind,
                       "account_label": ln.account.get_kind_display(), "amount": str(ln.amount),
                       "balance_after": str(ln.balance_after), "memo": ln.entry.memo, "kind": ln.entry.kind}
                      for ln in rows], "next_cursor": rows[-1].pk if more else None}


api.add_router("/", offers)
api.add_router("/", cases)
api.add_router("/", settlements)
api.add_router("/", accounts)


def docs(request):
    """/api/docs: the OpenAPI 3 document drawn by Swagger UI (served from the ninja app's own static files, no CDN)."""
    from ninja.openapi.docs import Swagger

    return Swagger().render_page(request, api)
