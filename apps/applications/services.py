"""Every write of the review workflow. A transition service runs the common kernel
(``apps.common.transitions``, declared here as ``APPLICATIONS``):

1. locks the application row (``select_for_update``) through the scoped selector (another person's case is not
   found);
2. checks the actor's permission code;
3. checks the transition is allowed from the current status — the loser of a race gets a clear message;
4. changes the status (django-fsm), saves, writes a StatusChange row (who, when, from, to, comment);
5. notifies the next people by in-site message, and after commit runs the ``on_ready`` hooks."""
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from apps.accounts.models import User
from apps.common.db import daily_sequence_next
from apps.common.files import private_save
from apps.common.money import to_money
from apps.common.transitions import LogTable, Notice, Workflow
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
        raise ValidationError(_("客户尚未通过实名认证，认证通过后才能录入贷款申请。"))
    amount = to_money(amount)
    if not product.min_amount <= amount <= product.max_amount:
        raise ValidationError(_("%(product)s的申请金额应在 %(low)s 至 %(high)s 元之间。") % {
            "product": product.name, "low": f"{product.min_amount:,.2f}", "high": f"{product.max_amount:,.2f}"})
    if Application.objects.filter(member=member, product=product).exclude(
            status__in=["completed", "lr_rejected", "withdrawn"]).exists():
        raise ValidationError(_("该客户已有一笔同产品的申请在办理中，不能重复申请。"))
    app = Application.objects.create(
        order_no=order_no_next(), member=member, product=product, amount=amount, term_months=term_months,
        region=region, purpose=purpose, client_type=client_type, cm=actor, organization=actor.organization)
    HISTORY.write(app, actor=actor, to_status=Status.DRAFT, text=_("录入申请"))
    return app


def _locked(actor, application_id: int) -> Application:
    app = application_list_for_user(user=actor).select_for_update(of=("self",)).filter(pk=application_id).first()
    if app is None:
        raise Http404
    return app


def application_link(app) -> str:
    return reverse("ops:application_detail", args=[app.pk])


HISTORY = LogTable(StatusChange, "application", text_field="comment")
APPLICATIONS: Workflow[Application] = Workflow(
    lock=_locked, log=HISTORY, send=message_send,
    refused=gettext_lazy("该申请当前状态为“%(status)s”，不能%(label)s（可能已被他人处理），请刷新页面。"))

# the CM's own steps on the application (the documents can be changed while one of them is open)
CM_STEPS = {"submit": ("submit", "applications.submit_application"),
            "resubmit": ("resubmit", "applications.submit_application")}


def _owner_rule(app, user, name: str) -> bool:
    """The CM's steps (code ``submit_application``) are the owner's only."""
    return STEPS[name][1] != "applications.submit_application" or app.cm_id == user.pk


def documents_open(*, user, app: Application) -> bool:
    """The CM may add documents while the application may still be (re)submitted: a draft, or waiting for a
    supplement."""
    return bool(APPLICATIONS.allowed(app, user, CM_STEPS, who=lambda app, user, name: app.cm_id == user.pk))


def document_add(*, actor, application_id: int, name: str, upload) -> Document:
    """The CM adds a document while the application is a draft or waiting for a supplement."""
    with transaction.atomic():
        app = _locked(actor, application_id)
        if app.cm_id != actor.pk:
            raise PermissionDenied("not the owner")
        if not documents_open(user=actor, app=app):
            raise ValidationError(_("只有草稿或待补充资料的申请可以上传资料。"))
        path = private_save(upload, folder=f"applications/{app.pk}")
        return Document.objects.create(application=app, name=name[:100], path=path, size=upload.size,
                                       uploaded_by=actor)


def _ready_hooks(app: Application) -> None:
    """After the commit that made the application 待派发, its ``on_ready`` hooks (dispatch starts it)."""
    if app.status == Status.READY:
        for hook in hooks.on_ready:
            hook(app.pk)


def _notice(to, title: str) -> Notice:
    """A workflow message to ``to`` about the application, titled ``title`` % {"no": order number}."""
    return Notice(to=to, title=lambda app: title % {"no": app.order_no}, link=application_link, from_actor=True)


def _move(*, actor, application_id: int, perm, method: str, comment: str = "", label: str,
          before=None, notify=()) -> Application:
    # ``before`` checks the rule under the lock; a text it returns replaces the history comment
    return APPLICATIONS.run(actor=actor, pk=application_id, perm=perm, method=method, label=label, check=before,
                            text=comment, notify=notify, on_commit=[_ready_hooks])


def status_apply(app: Application, method: str, *, actor=None, comment: str = "") -> Application:
    """Apply one django-fsm transition to an application the caller has locked, save it and write the
    StatusChange row (actor None = the system). Other apps (dispatch, settlement) move applications
    through this, so every status change is recorded the same way."""
    return APPLICATIONS.apply(app, method, actor=actor, text=comment)


def _cm(app):
    return [app.cm_id]


def _reviewers_of(codename: str):
    return lambda app: reviewers(codename)


def application_submit(*, actor, application_id: int) -> Application:
    def check(app):
        if app.cm_id != actor.pk:
            raise PermissionDenied("not the owner")
        missing = checklist_missing(app)
        if missing:
            raise ValidationError(_("还缺少以下资料：%(docs)s。请上传后再提交。") % {"docs": "、".join(missing)})
        app.submitted_at = timezone.now()

    return _move(actor=actor, application_id=application_id, perm="applications.submit_application",
                 method="submit", label=_("提交"), comment=_("客户经理提交"), before=check,
                 notify=[_notice(_reviewers_of("review_cs"), _("新的贷款申请待客服审核：%(no)s"))])


def cs_pass(*, actor, application_id: int, comment: str = "") -> Application:
    return _move(actor=actor, application_id=application_id, perm="applications.review_cs", method="cs_pass",
                 label=_("通过客服审核"), comment=comment or _("客服审核通过"),
                 notify=[_notice(_reviewers_of("review_lr"), _("贷款申请待贷审审核：%(no)s"))])


def cs_reject(*, actor, application_id: int, comment: str) -> Application:
    if not comment:
        raise ValidationError(_("请填写拒绝原因。"))
    return _move(actor=actor, application_id=application_id, perm="applications.review_cs", method="cs_reject",
                 label=_("客服拒绝"), comment=comment,
                 notify=[_notice(_reviewers_of("arbitrate"), _("客服拒绝待仲裁：%(no)s")),
                         _notice(_cm, _("贷款申请 %(no)s 被客服拒绝，待贷审仲裁"))])


def arbitrate(*, actor, application_id: int, reasonable: bool, comment: str) -> Application:
    """贷审 judges the CS rejection: reasonable → 贷审拒绝 (final); not reasonable → back to review."""
    if not comment:
        raise ValidationError(_("请填写仲裁意见。"))
    if reasonable:
        return _move(actor=actor, application_id=application_id, perm="applications.arbitrate",
                     method="arbitrate_uphold", label=_("仲裁"), comment=_("仲裁：客服拒绝合理。") + comment,
                     notify=[_notice(_cm, _("贷款申请 %(no)s 经仲裁确认拒绝"))])
    return _move(actor=actor, application_id=application_id, perm="applications.arbitrate",
                 method="arbitrate_overturn", label=_("仲裁"), comment=_("仲裁：客服拒绝不合理，转贷审审核。") + comment,
                 notify=[_notice(_reviewers_of("review_lr"), _("仲裁后转贷审审核：%(no)s"))])


def checklist_missing(app: Application) -> list[str]:
    """The documents the application's product asks for that are not uploaded ("资料是否齐全")."""
    names = set(app.documents.values_list("name", flat=True))
    return [item for item in app.product.checklist if item not in names]


def lr_pass(*, actor, application_id: int, comment: str = "") -> Application:
    def complete(app):
        missing = checklist_missing(app)
        if missing:
            raise ValidationError(_("按产品“%(product)s”的资料清单还缺少：%(docs)s。请先要求补充资料。")
                                  % {"product": app.product.name, "docs": "、".join(missing)})

    return _move(actor=actor, application_id=application_id, perm="applications.review_lr", method="lr_pass",
                 label=_("通过贷审"), comment=comment or _("贷审通过，产品与资料已确认，待派发"), before=complete,
                 notify=[_notice(_cm, _("贷款申请 %(no)s 贷审通过，待派发"))])


def lr_reject(*, actor, application_id: int, comment: str) -> Application:
    if not comment:
        raise ValidationError(_("请填写拒绝原因。"))
    return _move(actor=actor, application_id=application_id, perm="applications.review_lr", method="lr_reject",
                 label=_("贷审拒绝"), comment=comment, notify=[_notice(_cm, _("贷款申请 %(no)s 贷审拒绝"))])


def supplement_perm(app: Application) -> str:
    """Who asks for a supplement is the reviewer of the step the application is in."""
    return "applications.review_lr" if app.status in (Status.LR_REVIEW, Status.PENDING_PLAN) \
        else "applications.review_cs"


def ask_supplement(*, actor, application_id: int, missing: str, asks_info: bool = False) -> Application:
    """CS or LR asks the CM for more documents (and, with ``asks_info``, for a written answer). The third
    request flags 人工干预 for the LR supervisor. The CM's message says what is missing."""
    if not missing:
        raise ValidationError(_("请写明需要补充的资料。"))

    def record(app):
        app.supplement_return_to = app.status if app.status == Status.CS_REVIEW else Status.LR_REVIEW
        app.supplement_count += 1
        app.supplement_note = missing[:500]
        app.supplement_asks_info = asks_info
        app.supplement_doc_mark = app.documents.order_by("-pk").values_list("pk", flat=True).first() or 0
        if app.supplement_count >= SUPPLEMENTS_BEFORE_INTERVENTION:
            app.manual_intervention = True

    def notices(app):
        yield Notice(to=[app.cm_id], title=_("贷款申请 %(no)s 需补充资料") % {"no": app.order_no},
                     body=supplement_request_text(app), link=application_link(app), from_actor=True)
        if app.manual_intervention and app.supplement_count == SUPPLEMENTS_BEFORE_INTERVENTION:
            yield Notice(to=reviewers("supervise_review"), link=application_link(app),
                         title=_("贷款申请 %(no)s 已第 3 次要求补充资料，需人工干预") % {"no": app.order_no})

    return APPLICATIONS.run(actor=actor, pk=application_id, perm=supplement_perm, method="ask_supplement",
                            label=_("要求补充资料"), check=record, notify=lambda app: list(notices(app)),
                            text=_("需补充：%(m)s") % {"m": missing} + (_("（需书面说明）") if asks_info else ""))


def supplement_request_text(app: Application) -> str:
    """What the last supplement request asks of the CM (the message body, and the refusal of an empty resubmit)."""
    text = _("需补充：%(m)s。") % {"m": app.supplement_note}
    if app.supplement_asks_info:
        return text + _("请上传新增或替换的资料，或在重新提交时填写书面说明。")
    return text + _("请上传新增或替换的资料后重新提交。")


def supplement_answered(app: Application, answer: str) -> list[str]:
    """What the CM added since the last supplement request: documents uploaded (new or replacing one) and, when
    the request asked for information, the written answer. Empty: nothing, and the resubmit is refused."""
    added = list(app.documents.filter(pk__gt=app.supplement_doc_mark).values_list("name", flat=True))
    done = [_("已补充资料：%(docs)s") % {"docs": "、".join(added)}] if added else []
    if app.supplement_asks_info and answer:
        done.append(_("书面说明：%(a)s") % {"a": answer})
    return done


def resubmit(*, actor, application_id: int, comment: str = "") -> Application:
    comment = comment.strip()

    def check(app):
        if app.cm_id != actor.pk:
            raise PermissionDenied("not the owner")
        done = supplement_answered(app, comment)
        if not done:
            raise ValidationError(_("尚未补充任何内容，不能重新提交。") + supplement_request_text(app))
        return "；".join(done)

    return _move(actor=actor, application_id=application_id, perm="applications.submit_application",
                 method="resubmit", label=_("重新提交"), before=check,
                 notify=[_notice(lambda a: reviewers("review_cs" if a.status == Status.CS_REVIEW else "review_lr"),
                                 _("补充资料后重新提交：%(no)s"))])


def park(*, actor, application_id: int, comment: str = "") -> Application:
    return _move(actor=actor, application_id=application_id, perm="applications.review_lr", method="park",
                 label=_("转为待审出方案"), comment=comment or _("待审出方案"))


def resume(*, actor, application_id: int, comment: str = "") -> Application:
    return _move(actor=actor, application_id=application_id, perm="applications.review_lr", method="resume",
                 label=_("继续审核"), comment=comment or _("方案已出，继续审核"))


def withdraw(*, actor, application_id: int, comment: str) -> Application:
    def check(app):
        if app.cm_id != actor.pk:
            raise PermissionDenied("not the owner")

    return _move(actor=actor, application_id=application_id, perm="applications.submit_application",
                 method="withdraw", label=_("撤回"), comment=comment or _("客户经理撤回"), before=check)


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
    changed = {}

    def check(app):
        old = app.product
        if product.pk == old.pk:
            return (_("确认贷款类型（产品）：%(p)s。") % {"p": old.name} + reason).strip()
        if not reason:
            raise ValidationError(_("变更产品时请填写变更原因。"))
        if not product.is_active:
            raise ValidationError(_("产品“%(p)s”已停用，请选择其他产品。") % {"p": product.name})
        if not product.min_amount <= app.amount <= product.max_amount:
            raise ValidationError(_("%(p)s的申请金额应在 %(low)s 至 %(high)s 元之间，本申请为 %(a)s 元。") % {
                "p": product.name, "low": f"{product.min_amount:,.2f}", "high": f"{product.max_amount:,.2f}",
                "a": f"{app.amount:,.2f}"})
        if Application.objects.filter(member_id=app.member_id, product=product).exclude(pk=app.pk).exclude(
                status__in=["completed", "lr_rejected", "withdrawn"]).exists():
            raise ValidationError(_("该客户已有一笔“%(p)s”的申请在办理中，不能变更为该产品。") % {"p": product.name})
        changed["from"] = old
        app.product = product
        return _("贷款类型由“%(old)s”变更为“%(new)s”：%(r)s") % {"old": old.name, "new": product.name, "r": reason}

    def perm(app):
        if app.status not in PRODUCT_REVIEW:
            raise ValidationError(_("该申请当前状态为“%(s)s”，只有客服审核或贷审审核中可以确认或变更产品，请刷新页面。")
                                  % {"s": app.get_status_display()})
        return PRODUCT_REVIEW[app.status]

    def notices(app):
        if changed:
            yield Notice(to=[app.cm_id], link=application_link(app), from_actor=True,
                         title=_("贷款申请 %(no)s 的产品已由“%(old)s”变更为“%(new)s”") % {
                             "no": app.order_no, "old": changed["from"].name, "new": product.name})

    with transaction.atomic():
        # a step within the review status: no transition; the product is saved only when it changed
        app = APPLICATIONS.run(actor=actor, pk=application_id, perm=perm, label=_("确认或变更产品"), check=check,
                               notify=lambda app: list(notices(app)), save=False)
        if not changed:
            return app
        app.save(update_fields=["product", "updated_at"])
        missing = checklist_missing(app)
        if missing:
            return ask_supplement(actor=actor, application_id=app.pk,
                                  missing=_("按变更后的产品“%(p)s”需补充：%(docs)s") % {"p": product.name,
                                                                                 "docs": "、".join(missing)})
        return app


ACTIONS = {
    # name: (service, label, permission, needs a comment)
    "submit": (application_submit, gettext_lazy("提交审核"), "applications.submit_application", False),
    "cs_pass": (cs_pass, gettext_lazy("客服审核通过"), "applications.review_cs", False),
    "cs_reject": (cs_reject, gettext_lazy("客服拒绝"), "applications.review_cs", True),
    "lr_pass": (lr_pass, gettext_lazy("贷审通过"), "applications.review_lr", False),
    "lr_reject": (lr_reject, gettext_lazy("贷审拒绝"), "applications.review_lr", True),
    "park": (park, gettext_lazy("暂缓出方案"), "applications.review_lr", False),
    "resume": (resume, gettext_lazy("继续审核"), "applications.review_lr", False),
    "resubmit": (resubmit, gettext_lazy("重新提交"), "applications.submit_application", False),
    "withdraw": (withdraw, gettext_lazy("撤回申请"), "applications.submit_application", True),
}
# every button is named after its transition
STEPS = {name: (name, perm) for name, (_svc, _label, perm, _c) in ACTIONS.items()}
SUPPLEMENT_STEPS = {"ask_supplement_cs": ("ask_supplement", "applications.review_cs"),
                    "ask_supplement_lr": ("ask_supplement", "applications.review_lr")}
ARBITRATE_STEPS = {"arbitrate": ("arbitrate_uphold", "applications.arbitrate")}


def available_actions(*, user, app: Application) -> list[str]:
    """The buttons this user may press now (only those): from the state machine and the permission codes."""
    return APPLICATIONS.allowed(app, user, STEPS, who=_owner_rule)


def can_supplement(*, user, app: Application) -> bool:
    """The reviewer of the current step may ask for a supplement."""
    return bool(APPLICATIONS.allowed(app, user, SUPPLEMENT_STEPS, who=lambda a, u, name: SUPPLEMENT_STEPS[name][1] == supplement_perm(a)))


def can_arbitrate(*, user, app: Application) -> bool:
    return bool(APPLICATIONS.allowed(app, user, ARBITRATE_STEPS))


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
