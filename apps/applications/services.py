"""Every write of the review workflow. A transition service:

1. locks the application row (``select_for_update``);
2. checks the actor's permission code and data scope (another person's case is not found);
3. checks the transition is allowed from the current status — the loser of a race gets a clear message;
4. changes the status (django-fsm), saves, writes a StatusChange row (who, when, from, to, comment);
5. notifies the next people by in-site message, and after commit runs the ``on_ready`` hooks."""
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django_fsm import can_proceed

from apps.accounts.models import User
from apps.common.db import daily_sequence_next
from apps.common.files import private_save
from apps.common.money import to_money
from apps.messaging.services import message_send

from . import hooks
from .models import Application, Document, StatusChange, Status
from .selectors import application_list_for_user

SUPPLEMENTS_BEFORE_INTERVENTION = 3


def order_no_next(*, day: date | None = None) -> str:
    """SY + YYYYMMDD + 4-digit sequence, gap-free (see common.db.daily_sequence_next)."""
    day = day or timezone.localdate()
    return f"SY{day:%Y%m%d}{daily_sequence_next('applications_dailysequence', day):04d}"


def reviewers(codename: str):
    return User.objects.filter(is_active=True, roles__permissions__codename=codename,
                               roles__organization__isnull=True, roles__is_active=True).distinct()


@transaction.atomic
def application_create(*, actor, member, product, amount, term_months: int, region, purpose: str,
                       client_type: str) -> Application:
    if not actor.has_perm("applications.submit_application"):
        raise PermissionDenied("applications.submit_application")
    if member.status != member.Status.VERIFIED:
        raise ValidationError("客户尚未通过实名认证，认证通过后才能录入贷款申请。")
    amount = to_money(amount)
    if not product.min_amount <= amount <= product.max_amount:
        raise ValidationError(f"{product.name}的申请金额应在 {product.min_amount:,.2f} 至 {product.max_amount:,.2f} 元之间。")
    if Application.objects.filter(member=member, product=product).exclude(
            status__in=["completed", "lr_rejected", "withdrawn"]).exists():
        raise ValidationError("该客户已有一笔同产品的申请在办理中，不能重复申请。")
    app = Application.objects.create(
        order_no=order_no_next(), member=member, product=product, amount=amount, term_months=term_months,
        region=region, purpose=purpose, client_type=client_type, cm=actor, organization=actor.organization)
    StatusChange.objects.create(application=app, to_status=Status.DRAFT, actor=actor, comment="录入申请")
    return app


def document_add(*, actor, application_id: int, name: str, upload) -> Document:
    """The CM adds a document while the application is a draft or waiting for a supplement."""
    with transaction.atomic():
        app = _locked(actor, application_id)
        if app.cm_id != actor.pk:
            raise PermissionDenied("not the owner")
        if app.status not in (Status.DRAFT, Status.SUPPLEMENT):
            raise ValidationError("只有草稿或待补充资料的申请可以上传资料。")
        path = private_save(upload, folder=f"applications/{app.pk}")
        return Document.objects.create(application=app, name=name[:100], path=path, size=upload.size,
                                       uploaded_by=actor)


def _locked(actor, application_id: int) -> Application:
    app = application_list_for_user(user=actor).select_for_update(of=("self",)).filter(pk=application_id).first()
    if app is None:
        raise Http404
    return app


def _move(*, actor, application_id: int, perm: str, method: str, comment: str = "", label: str,
          before=None, notify=()) -> Application:
    with transaction.atomic():
        app = _locked(actor, application_id)
        if not actor.has_perm(perm):
            raise PermissionDenied(perm)
        action = getattr(app, method)
        if not can_proceed(action):
            raise ValidationError(f"该申请当前状态为“{app.get_status_display()}”，不能{label}（可能已被他人处理），请刷新页面。")
        # ``before`` checks the rule under the lock; a text it returns replaces the history comment
        note = before(app) if before else None
        status_apply(app, method, actor=actor, comment=note or comment)
        for recipients, title in notify:
            message_send(recipients=recipients(app), title=title.format(app=app), category="workflow",
                         link=f"/ops/applications/{app.pk}/", sender=actor)
        if app.status == Status.READY:
            for hook in hooks.on_ready:
                transaction.on_commit(lambda hook=hook, pk=app.pk: hook(pk))
        return app


def status_apply(app: Application, method: str, *, actor=None, comment: str = "") -> Application:
    """Apply one django-fsm transition to an application the caller has locked, save it and write the
    StatusChange row (actor None = the system). Other apps (dispatch, settlement) move applications
    through this, so every status change is recorded the same way."""
    old = app.status
    getattr(app, method)()
    app.save()
    StatusChange.objects.create(application=app, from_status=old, to_status=app.status, actor=actor,
                                comment=comment[:500])
    return app


def _cm(app):
    return [app.cm_id]


def application_submit(*, actor, application_id: int) -> Application:
    def check(app):
        if app.cm_id != actor.pk:
            raise PermissionDenied("not the owner")
        missing = checklist_missing(app)
        if missing:
            raise ValidationError(f"还缺少以下资料：{'、'.join(missing)}。请上传后再提交。")
        app.submitted_at = timezone.now()

    return _move(actor=actor, application_id=application_id, perm="applications.submit_application",
                 method="submit", label="提交", comment="客户经理提交", before=check,
                 notify=[(lambda a: reviewers("review_cs"), "新的贷款申请待客服审核：{app.order_no}")])


def cs_pass(*, actor, application_id: int, comment: str = "") -> Application:
    return _move(actor=actor, application_id=application_id, perm="applications.review_cs", method="cs_pass",
                 label="通过客服审核", comment=comment or "客服审核通过",
                 notify=[(lambda a: reviewers("review_lr"), "贷款申请待贷审审核：{app.order_no}")])


def cs_reject(*, actor, application_id: int, comment: str) -> Application:
    if not comment:
        raise ValidationError("请填写拒绝原因。")
    return _move(actor=actor, application_id=application_id, perm="applications.review_cs", method="cs_reject",
                 label="客服拒绝", comment=comment,
                 notify=[(lambda a: reviewers("arbitrate"), "客服拒绝待仲裁：{app.order_no}"),
                         (_cm, "贷款申请 {app.order_no} 被客服拒绝，待贷审仲裁")])


def arbitrate(*, actor, application_id: int, reasonable: bool, comment: str) -> Application:
    """贷审 judges the CS rejection: reasonable → 贷审拒绝 (final); not reasonable → back to review."""
    if not comment:
        raise ValidationError("请填写仲裁意见。")
    if reasonable:
        return _move(actor=actor, application_id=application_id, perm="applications.arbitrate",
                     method="arbitrate_uphold", label="仲裁", comment=f"仲裁：客服拒绝合理。{comment}",
                     notify=[(_cm, "贷款申请 {app.order_no} 经仲裁确认拒绝")])
    return _move(actor=actor, application_id=application_id, perm="applications.arbitrate",
                 method="arbitrate_overturn", label="仲裁", comment=f"仲裁：客服拒绝不合理，转贷审审核。{comment}",
                 notify=[(lambda a: reviewers("review_lr"), "仲裁后转贷审审核：{app.order_no}")])


def checklist_missing(app: Application) -> list[str]:
    """The documents the application's product asks for that are not uploaded ("资料是否齐全")."""
    names = set(app.documents.values_list("name", flat=True))
    return [item for item in app.product.checklist if item not in names]


def lr_pass(*, actor, application_id: int, comment: str = "") -> Application:
    def complete(app):
        missing = checklist_missing(app)
        if missing:
            raise ValidationError(f"按产品“{app.product.name}”的资料清单还缺少：{'、'.join(missing)}。请先要求补充资料。")

    return _move(actor=actor, application_id=application_id, perm="applications.review_lr", method="lr_pass",
                 label="通过贷审", comment=comment or "贷审通过，产品与资料已确认，待派发", before=complete,
                 notify=[(_cm, "贷款申请 {app.order_no} 贷审通过，待派发")])


def lr_reject(*, actor, application_id: int, comment: str) -> Application:
    if not comment:
        raise ValidationError("请填写拒绝原因。")
    return _move(actor=actor, application_id=application_id, perm="applications.review_lr", method="lr_reject",
                 label="贷审拒绝", comment=comment, notify=[(_cm, "贷款申请 {app.order_no} 贷审拒绝")])


def ask_supplement(*, actor, application_id: int, missing: str, asks_info: bool = False) -> Application:
    """CS or LR asks the CM for more documents (and, with ``asks_info``, for a written answer). The third
    request flags 人工干预 for the LR supervisor. The CM's message says what is missing."""
    if not missing:
        raise ValidationError("请写明需要补充的资料。")
    perm = "applications.review_cs"

    def record(app):
        app.supplement_return_to = app.status if app.status == Status.CS_REVIEW else Status.LR_REVIEW
        app.supplement_count += 1
        app.supplement_note = missing[:500]
        app.supplement_asks_info = asks_info
        app.supplement_doc_mark = app.documents.order_by("-pk").values_list("pk", flat=True).first() or 0
        if app.supplement_count >= SUPPLEMENTS_BEFORE_INTERVENTION:
            app.manual_intervention = True

    with transaction.atomic():
        current = _locked(actor, application_id)
        if current.status in (Status.LR_REVIEW, Status.PENDING_PLAN):
            perm = "applications.review_lr"
        app = _move(actor=actor, application_id=application_id, perm=perm, method="ask_supplement",
                    label="要求补充资料", comment=f"需补充：{missing}" + ("（需书面说明）" if asks_info else ""),
                    before=record)
        message_send(recipients=[app.cm_id], category="workflow", link=f"/ops/applications/{app.pk}/", sender=actor,
                     title=f"贷款申请 {app.order_no} 需补充资料", body=supplement_request_text(app))
        if app.manual_intervention and app.supplement_count == SUPPLEMENTS_BEFORE_INTERVENTION:
            message_send(recipients=reviewers("supervise_review"), category="workflow",
                         title=f"贷款申请 {app.order_no} 已第 3 次要求补充资料，需人工干预",
                         link=f"/ops/applications/{app.pk}/")
        return app


def supplement_request_text(app: Application) -> str:
    """What the last supplement request asks of the CM (the message body, and the refusal of an empty resubmit)."""
    text = f"需补充：{app.supplement_note}。"
    if app.supplement_asks_info:
        return text + "请上传新增或替换的资料，或在重新提交时填写书面说明。"
    return text + "请上传新增或替换的资料后重新提交。"


def supplement_answered(app: Application, answer: str) -> list[str]:
    """What the CM added since the last supplement request: documents uploaded (new or replacing one) and, when
    the request asked for information, the written answer. Empty: nothing, and the resubmit is refused."""
    added = list(app.documents.filter(pk__gt=app.supplement_doc_mark).values_list("name", flat=True))
    done = [f"已补充资料：{'、'.join(added)}"] if added else []
    if app.supplement_asks_info and answer:
        done.append(f"书面说明：{answer}")
    return done


def resubmit(*, actor, application_id: int, comment: str = "") -> Application:
    comment = comment.strip()

    def check(app):
        if app.cm_id != actor.pk:
            raise PermissionDenied("not the owner")
        done = supplement_answered(app, comment)
        if not done:
            raise ValidationError(f"尚未补充任何内容，不能重新提交。{supplement_request_text(app)}")
        return "；".join(done)

    return _move(actor=actor, application_id=application_id, perm="applications.submit_application",
                 method="resubmit", label="重新提交", before=check,
                 notify=[(lambda a: reviewers("review_cs" if a.status == Status.CS_REVIEW else "review_lr"),
                          "补充资料后重新提交：{app.order_no}")])


def park(*, actor, application_id: int, comment: str = "") -> Application:
    return _move(actor=actor, application_id=application_id, perm="applications.review_lr", method="park",
                 label="转为待审出方案", comment=comment or "待审出方案")


def resume(*, actor, application_id: int, comment: str = "") -> Application:
    return _move(actor=actor, application_id=application_id, perm="applications.review_lr", method="resume",
                 label="继续审核", comment=comment or "方案已出，继续审核")


def withdraw(*, actor, application_id: int, comment: str) -> Application:
    def check(app):
        if app.cm_id != actor.pk:
            raise PermissionDenied("not the owner")

    return _move(actor=actor, application_id=application_id, perm="applications.submit_application",
                 method="withdraw", label="撤回", comment=comment or "客户经理撤回", before=check)


PRODUCT_REVIEW = {Status.CS_REVIEW: "applications.review_cs", Status.LR_REVIEW: "applications.review_lr",
                  Status.PENDING_PLAN: "applications.review_lr"}


def product_can_confirm(*, user, app: Application) -> bool:
    perm = PRODUCT_REVIEW.get(app.status)
    return bool(perm) and user.has_perm(perm)


def product_confirm(*, actor, application_id: int, product, reason: str = "") -> Application:
    """确认贷款类型（产品）: 客服 (in 客服审核) or 贷审 (in 贷审审核 / 待审出方案) confirms the product, or changes it
    with a reason; both go into the history. After a change the document checklist is checked again against
    the new product ("资料是否齐全"): anything missing becomes a supplement request to the CM. The hold that
    dispatch freezes is the application's product's, so the new product's from now on."""
    reason = (reason or "").strip()
    with transaction.atomic():
        app = _locked(actor, application_id)
        perm = PRODUCT_REVIEW.get(app.status)
        if perm is None:
            raise ValidationError(f"该申请当前状态为“{app.get_status_display()}”，只有客服审核或贷审审核中可以确认或变更产品，"
                                  "请刷新页面。")
        if not actor.has_perm(perm):
            raise PermissionDenied(perm)
        old = app.product
        if product.pk == old.pk:
            StatusChange.objects.create(application=app, from_status=app.status, to_status=app.status, actor=actor,
                                        comment=f"确认贷款类型（产品）：{old.name}。{reason}".strip()[:500])
            return app
        if not reason:
            raise ValidationError("变更产品时请填写变更原因。")
        if not product.is_active:
            raise ValidationError(f"产品“{product.name}”已停用，请选择其他产品。")
        if not product.min_amount <= app.amount <= product.max_amount:
            raise ValidationError(f"{product.name}的申请金额应在 {product.min_amount:,.2f} 至 {product.max_amount:,.2f} 元之间，"
                                  f"本申请为 {app.amount:,.2f} 元。")
        if Application.objects.filter(member_id=app.member_id, product=product).exclude(pk=app.pk).exclude(
                status__in=["completed", "lr_rejected", "withdrawn"]).exists():
            raise ValidationError(f"该客户已有一笔“{product.name}”的申请在办理中，不能变更为该产品。")
        app.product = product
        app.save(update_fields=["product", "updated_at"])
        StatusChange.objects.create(application=app, from_status=app.status, to_status=app.status, actor=actor,
                                    comment=f"贷款类型由“{old.name}”变更为“{product.name}”：{reason}"[:500])
        message_send(recipients=[app.cm_id], category="workflow", link=f"/ops/applications/{app.pk}/", sender=actor,
                     title=f"贷款申请 {app.order_no} 的产品已由“{old.name}”变更为“{product.name}”")
        missing = checklist_missing(app)
        if missing:
            return ask_supplement(actor=actor, application_id=app.pk,
                                  missing=f"按变更后的产品“{product.name}”需补充：{'、'.join(missing)}")
        return app


ACTIONS = {
    # name: (service, label, permission, needs a comment)
    "submit": (application_submit, "提交审核", "applications.submit_application", False),
    "cs_pass": (cs_pass, "客服审核通过", "applications.review_cs", False),
    "cs_reject": (cs_reject, "客服拒绝", "applications.review_cs", True),
    "lr_pass": (lr_pass, "贷审通过", "applications.review_lr", False),
    "lr_reject": (lr_reject, "贷审拒绝", "applications.review_lr", True),
    "park": (park, "暂缓出方案", "applications.review_lr", False),
    "resume": (resume, "继续审核", "applications.review_lr", False),
    "resubmit": (resubmit, "重新提交", "applications.submit_application", False),
    "withdraw": (withdraw, "撤回申请", "applications.submit_application", True),
}
METHOD_OF = {"submit": "submit", "cs_pass": "cs_pass", "cs_reject": "cs_reject", "lr_pass": "lr_pass",
             "lr_reject": "lr_reject", "park": "park", "resume": "resume", "resubmit": "resubmit",
             "withdraw": "withdraw"}


def available_actions(*, user, app: Application) -> list[str]:
    """The buttons this user may press now (only those)."""
    names = []
    for name, (_svc, _label, perm, _c) in ACTIONS.items():
        if user.has_perm(perm) and can_proceed(getattr(app, METHOD_OF[name])):
            if perm == "applications.submit_application" and app.cm_id != user.pk:
                continue
            names.append(name)
    return names


def tally_compact() -> int:
    """Fold the status tally's delta rows into one row per key (in one statement, so a reader sees the rows
    before or after, never half) and return how many rows were folded. Safe to run twice at once: a row is
    deleted by one statement only, and the other folds what it deleted."""
    from django.db import connection

    from .models import StatusTally

    cols = StatusTally.KEY_COLUMNS
    with connection.cursor() as cur:
        cur.execute(
            f"WITH gone AS (DELETE FROM applications_statustally RETURNING {cols}, n),"
            f" kept AS (INSERT INTO applications_statustally ({cols}, n)"
            f"   SELECT {cols}, sum(n) FROM gone GROUP BY {cols} HAVING sum(n) <> 0 RETURNING 1)"
            f" SELECT (SELECT count(*) FROM gone)")
        return cur.fetchone()[0]
