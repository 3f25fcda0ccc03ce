"""Finance pages: the institution's accounts, recharge, transfers and journal (/inst/finance/), 数银's
finance desk for settlement clerks (/ops/finance/), the payment providers' notify endpoints and the local
payment gateway (/pay/)."""
import logging
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.accounts.permissions import area_view
from apps.common.files import private_response, private_save
from apps.common.money import format_cny
from apps.common.steps import form_step, run_step
from apps.common.views import list_context

from . import selectors, services
from .forms import (AdjustmentForm, JournalFilter, OfflineRechargeForm, OnlineRechargeForm, ReasonForm,
                    TransferForm, WithdrawalForm)
from .gateway import InvalidNotice, LocalGateway, ProviderUnavailable, enabled_providers, provider, provider_enabled
from .models import Account, Approval, Recharge

K = Account.Kind
log = logging.getLogger(__name__)


def local_gateway_enabled() -> bool:
    return settings.PAYMENT_LOCAL_GATEWAY


def local_gateway_only(view):
    """The local gateway's pages answer 404 unless settings enable it (its URLs are not routed then
    either; this also covers a URLconf built under other settings)."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not local_gateway_enabled():
            raise Http404
        return view(request, *args, **kwargs)
    return wrapper


JOURNAL_SORTS = {"time": "id", "amount": "amount"}


# ---- institution back office ----

@area_view("positions.view_account")
def finance_home(request):
    org = request.user.organization
    summary = selectors.institution_finance_summary(org)
    recent = selectors.journal_for_user(user=request.user)[:10]
    return render(request, "positions/finance_home.html", {"summary": summary, "recent": recent})


@area_view("positions.transfer_funds")
def transfer(request):
    org = request.user.organization
    form = TransferForm(request.POST if "transfer" in request.POST else None)
    wd_form = WithdrawalForm(request.POST if "withdraw" in request.POST else None)
    if request.method == "POST" and "transfer" in request.POST and form.is_valid():
        source, target = form.accounts()
        done = form_step(request, form, services.transfer, institution=org, source=source, target=target,
                         amount=form.cleaned_data["amount"], user=request.user, key=form.key(request.user),
                         success=_("划转成功：%(a)s。") % {"a": format_cny(form.cleaned_data["amount"])},
                         redirect_to="inst:finance_journal")
        if done:
            return done
    if request.method == "POST" and "withdraw" in request.POST and wd_form.is_valid():
        done = form_step(request, wd_form, services.approval_request, kind=Approval.Kind.WITHDRAWAL, institution=org,
                         account_kind=K.RISK, amount=wd_form.cleaned_data["amount"],
                         reason=wd_form.cleaned_data["reason"], user=request.user,
                         success=_("已提交申请，数银审批通过后转入现金账户。"), redirect_to="inst:finance_transfer")
        if done:
            return done
    summary = selectors.institution_finance_summary(org)
    pending = Approval.objects.filter(institution_id=org.root_id, kind=Approval.Kind.WITHDRAWAL)[:10]
    return render(request, "positions/transfer.html",
                  {"form": form, "wd_form": wd_form, "summary": summary, "withdrawals": pending})


def _absolute(request, path: str) -> str:
    base = settings.PAYMENT_NOTIFY_BASE_URL.rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


@area_view("positions.recharge_funds")
def recharge_new(request):
    org = request.user.organization
    offline = OfflineRechargeForm(request.POST if request.POST.get("method") == "offline" else None,
                                  request.FILES or None)
    providers = enabled_providers()
    online = (OnlineRechargeForm(request.POST if request.POST.get("method") == "online" else None,
                                 providers=providers) if providers else None)
    if request.method == "POST" and request.POST.get("method") == "offline" and offline.is_valid():
        d = offline.cleaned_data
        with transaction.atomic():
            path = private_save(d["voucher"], folder="vouchers")
            recharge = services.recharge_offline_submit(institution=org, amount=d["amount"],
                                                        bank_reference=d["bank_reference"], voucher_path=path,
                                                        user=request.user)
        messages.success(request, _("已提交线下充值 %(no)s，结算员确认到账后入账。") % {"no": recharge.order_no})
        return redirect("inst:recharge_list")
    if request.method == "POST" and request.POST.get("method") == "online" and online is not None and online.is_valid():
        name = online.cleaned_data["provider"]
        try:
            recharge = services.recharge_online_create(institution=org, amount=online.cleaned_data["amount"],
                                                       user=request.user, provider=name)
            return_path = (reverse("inst:recharge_return") if name == "local"
                           else reverse("inst:recharge_pay", args=[recharge.pk]) + "?back=1")
            checkout = provider(name).checkout(
                order_no=recharge.order_no, amount=recharge.amount, subject=_("数银在线账户充值"),
                notify_url=_absolute(request, reverse(f"pay_notify_{name}")),
                return_url=_absolute(request, return_path), expires_at=recharge.expires_at)
        except ValidationError as exc:
            online.add_error("amount", exc.messages[0])
        except ProviderUnavailable:
            log.exception("payment provider %s: checkout failed", name)
            online.add_error(None, _("支付渠道暂时无法连接，请稍后重试或使用线下银行转账。"))
        else:
            Recharge.objects.filter(pk=recharge.pk).update(checkout_url=checkout.redirect_url or checkout.qr_text)
            if checkout.redirect_url:
                return redirect(checkout.redirect_url)
            return redirect("inst:recharge_pay", pk=recharge.pk)
    response = render(request, "positions/recharge_new.html", {"offline": offline, "online": online})
    if provider_enabled("alipay"):
        # The online form's answer redirects to Alipay's cashier: the page's CSP (form-action 'self') must
        # allow that origin, or the browser stops the redirect.
        gateway = urlsplit(settings.PAYMENT_ALIPAY_GATEWAY)
        response._csp_update = {"form-action": [f"{gateway.scheme}://{gateway.netloc}"]}
    return response


def _qr_svg(text: str) -> str:
    import segno

    return segno.make(text, error="m").svg_inline(scale=6, border=2)


@area_view("positions.recharge_funds")
def recharge_pay(request, pk: int):
    """One online order: the WeChat Pay QR code (or a link back to the provider's cashier), and the
    payment result. Coming back from the provider (``?back=1``) or pressing 查询支付结果 asks the provider
    at once (trade query), so an unknown outcome is settled without waiting for its notice."""
    recharge = selectors.recharge_get_for_user(user=request.user, pk=pk)
    if recharge.method != Recharge.Method.ONLINE or recharge.provider == "local":
        return render(request, "404.html", status=404)
    asked = request.method == "POST" or request.GET.get("back") == "1"
    if asked and recharge.status == Recharge.Status.AWAITING_PAYMENT:
        outcome = services.recharge_settle_by_query(recharge=recharge)
        if outcome == "unavailable":
            messages.warning(request, _("暂时无法查询支付渠道，请稍后再试。"))
        elif outcome == "waiting" and request.method == "POST":
            messages.info(request, _("尚未收到付款，请完成支付后再查询。"))
        recharge.refresh_from_db()
    if recharge.status == Recharge.Status.CREDITED and asked:
        messages.success(request, _("在线充值 %(no)s 已到账 %(a)s。") % {"no": recharge.order_no,
                                                                    "a": format_cny(recharge.amount)})
        return redirect("inst:recharge_list")
    if request.method == "POST":
        return redirect("inst:recharge_pay", pk=recharge.pk)
    awaiting = recharge.status == Recharge.Status.AWAITING_PAYMENT
    qr = _qr_svg(recharge.checkout_url) if awaiting and recharge.provider == "wechat" and recharge.checkout_url else ""
    return render(request, "positions/recharge_pay.html", {"recharge": recharge, "qr": qr, "awaiting": awaiting})


@area_view("positions.view_recharge")
def recharge_list(request):
    qs = selectors.recharges_for_user(user=request.user)
    status = request.GET.get("status", "")
    if status in Recharge.Status.values:
        qs = qs.filter(status=status)
    ctx = list_context(request, qs, sorts={"time": "created_at", "amount": "amount"}, default_sort="-time")
    ctx.update(status=status, statuses=Recharge.Status.choices)
    return render(request, "positions/recharge_list.html", ctx)


@area_view("positions.view_recharge")
def recharge_voucher(request, pk: int):
    recharge = selectors.recharge_get_for_user(user=request.user, pk=pk)
    if not recharge.voucher:
        return render(request, "404.html", status=404)
    return private_response(recharge.voucher)


@local_gateway_only
@area_view("positions.view_recharge")
def recharge_return(request):
    """The browser comes back from the gateway. The signed fields are checked and credited the same
    idempotent way as the asynchronous notice (whichever arrives first credits)."""
    try:
        notice = LocalGateway().parse_notice(request.GET.dict())
        recharge, _new = services.recharge_online_paid(order_no=notice.order_no, txn_id=notice.txn_id,
                                                      amount=notice.amount)
    except (InvalidNotice, Recharge.DoesNotExist, ValidationError):
        messages.error(request, _("支付结果校验失败，请稍后在充值记录中查看状态。"))
        return redirect("inst:recharge_list")
    if recharge.institution_id != request.user.organization.root_id:
        return render(request, "404.html", status=404)
    messages.success(request, _("在线充值 %(no)s 已到账 %(a)s。") % {"no": recharge.order_no,
                                                                "a": format_cny(recharge.amount)})
    return redirect("inst:recharge_list")


@area_view("positions.view_journalline")
def journal(request):
    qs = selectors.journal_for_user(user=request.user)
    show_inst = not request.user.organization.is_institution
    ctx = list_context(request, qs, sorts=JOURNAL_SORTS, default_sort="-time",
                       filterset=JournalFilter(request.GET, queryset=qs, show_institution=show_inst))
    return render(request, "positions/journal.html", ctx)


# ---- 数银 finance desk ----

@area_view("positions.view_finance_all")
def finance_overview(request):
    qs = selectors.institutions_with_balances()
    ctx = list_context(request, qs, sorts={"name": "name", "cash": "cash_balance", "margin": "margin_balance",
                                           "risk": "risk_balance"}, default_sort="name")
    ctx["pending_recharges"] = Recharge.objects.filter(status=Recharge.Status.PENDING).count()
    ctx["pending_approvals"] = selectors.approvals_pending().count()
    return render(request, "positions/ops_overview.html", ctx)


LATE_STATUSES = (Recharge.Status.LATE_PAID, Recharge.Status.REFUNDED)


@area_view("positions.confirm_recharge")
def recharge_queue(request):
    # Offline transfers to confirm, and online payments that arrived after their order expired (to refund
    # or credit by hand).
    qs = Recharge.objects.filter(Q(method=Recharge.Method.OFFLINE) | Q(status__in=LATE_STATUSES)).select_related(
        "institution", "created_by")
    status = request.GET.get("status", Recharge.Status.PENDING)
    if status in Recharge.Status.values:
        qs = qs.filter(status=status)
    ctx = list_context(request, qs, sorts={"time": "created_at", "amount": "amount"}, default_sort="time")
    ctx.update(status=status, statuses=[(s, l) for s, l in Recharge.Status.choices if s in (
        "pending", "credited", "rejected", "late_paid", "refunded")])
    return render(request, "positions/recharge_queue.html", ctx)


@require_POST
@area_view("positions.confirm_recharge")
def recharge_decide(request, pk: int):
    approve = request.POST.get("decision") == "approve"
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    try:
        if Recharge.objects.filter(pk=pk, method=Recharge.Method.ONLINE).exists():
            recharge = services.recharge_late_resolve(recharge_id=pk, user=request.user, credit=approve, reason=reason)
        else:
            recharge = services.recharge_offline_decide(recharge_id=pk, user=request.user, approve=approve,
                                                        reason=reason)
    except Recharge.DoesNotExist:
        return render(request, "404.html", status=404)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        done = (_("已确认到账并入账 %(a)s。") if approve else
                _("已登记退款 %(no)s。") if recharge.status == Recharge.Status.REFUNDED else _("已驳回充值 %(no)s。"))
        messages.success(request, done % {"a": format_cny(recharge.amount), "no": recharge.order_no})
    return redirect("ops:recharge_queue")


@area_view("positions.make_adjustment")
def approvals(request):
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = form_step(request, form, services.approval_request, kind=Approval.Kind.ADJUSTMENT,
                         institution=d["institution"], account_kind=d["account_kind"], amount=d["amount"],
                         reason=d["reason"], user=request.user, success=_("调账申请已提交，需另一位同事复核后生效。"),
                         redirect_to="ops:approvals")
        if done:
            return done
    qs = Approval.objects.select_related("institution", "requested_by", "decided_by")
    ctx = list_context(request, qs, sorts={"time": "created_at"}, default_sort="-time")
    ctx["form"] = form
    return render(request, "positions/approvals.html", ctx)


@require_POST
@area_view("positions.check_adjustment")
def approval_decide(request, pk: int):
    approve = request.POST.get("decision") == "approve"
    try:
        return run_step(request, services.approval_decide, approval_id=pk, user=request.user, approve=approve,
                        note=request.POST.get("note", "")[:200], redirect_to="ops:approvals",
                        success=_("已复核通过，资金已变动。") if approve else _("已驳回。"))
    except Approval.DoesNotExist:
        return render(request, "404.html", status=404)


# ---- the local payment gateway (stands in for Alipay / WeChat Pay / UnionPay) ----

@local_gateway_only
def gateway_pay_page(request):
    """The gateway's own cashier page: shows the order and takes the payer's confirmation."""
    gw = LocalGateway()
    fields = request.GET.dict() if request.method == "GET" else request.POST.dict()
    fields.pop("csrfmiddlewaretoken", None)
    if not fields.get("sign") or gw.sign(fields) != fields.get("sign"):
        return HttpResponseBadRequest("签名错误".encode())
    recharge = Recharge.objects.filter(order_no=fields.get("order_no")).first()
    if recharge is None or str(recharge.amount) != fields.get("amount"):
        return HttpResponseBadRequest("订单不存在或金额不符".encode())
    if request.method == "POST":
        payment = services.gateway_pay(order_no=recharge.order_no, notify_url=fields["notify_url"],
                                       return_url=fields["return_url"])
        from .tasks import gateway_notify_task

        transaction.on_commit(lambda: gateway_notify_task.delay(payment.pk))
        back = gw.signed({"order_no": payment.order_no, "txn_id": payment.txn_id, "amount": str(payment.amount),
                          "status": "SUCCESS"})
        from urllib.parse import urlencode

        return redirect(f"{fields['return_url']}?{urlencode(back)}")
    return render(request, "positions/gateway_pay.html", {"fields": fields, "recharge": recharge})


@csrf_exempt
@require_POST
@local_gateway_only
def gateway_notify(request):
    """Asynchronous payment notice from the gateway (server to server). Answers ``success`` once the
    payment is credited (or was already), ``fail`` otherwise so the gateway retries."""
    try:
        notice = LocalGateway().parse_notice(request.POST.dict())
        services.recharge_online_paid(order_no=notice.order_no, txn_id=notice.txn_id, amount=notice.amount)
    except (InvalidNotice, Recharge.DoesNotExist, ValidationError):
        return HttpResponse("fail", status=400, content_type="text/plain")
    return HttpResponse("success", content_type="text/plain")




# ---- the real providers' asynchronous notices (server to server) ----

@csrf_exempt
@require_POST
def provider_notify(request, name: str):
    """Alipay / WeChat Pay notice: verified by the provider's SDK, credited once. Answered as each
    provider expects (success stops its retries; failure makes it retry). Answers 404 unless the provider
    is switched on."""
    if name not in ("alipay", "wechat") or not provider_enabled(name):
        raise Http404
    try:
        gw = provider(name)
    except ProviderUnavailable:
        log.exception("payment provider %s: cannot load", name)
        return HttpResponse("fail", status=503, content_type="text/plain")
    try:
        notice = gw.verify_notice(request)
    except InvalidNotice as exc:
        log.warning("payment provider %s: notice refused: %s", name, exc)
        return gw.ack(False)
    if not notice.paid:
        return gw.ack(True)
    try:
        services.recharge_online_paid(order_no=notice.order_no, txn_id=notice.txn_id, amount=notice.amount)
    except (Recharge.DoesNotExist, ValidationError) as exc:
        log.warning("payment provider %s: notice for %s not credited: %s", name, notice.order_no, exc)
        return gw.ack(False)
    return gw.ack(True)
