from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import area_view
from apps.common import pagecache
from apps.common.files import private_response
from apps.common.steps import form_errors_text, form_step, run_step
from apps.common.views import list_context
from apps.members.selectors import member_get_for_user

from . import selectors, services
from .forms import ApplicationForm, DocumentForm, ProductConfirmForm, QueueFilter
from .models import Document
from .pages import page_generation
from .visibility import history_for, sees_settlement_steps, status_label

def _back(pk: int) -> str:
    return reverse("ops:application_detail", args=[pk])


SORTS = {"time": "created_at", "amount": "amount", "order": "order_no", "submitted": "submitted_at"}


def _queue(request, queue: str):
    title, perm, _cond = selectors.QUEUES[queue]
    if not request.user.has_perm(perm):
        raise PermissionDenied(perm)
    form = QueueFilter(request.GET or None, user=request.user, statuses=selectors.QUEUE_STATUSES[queue])
    qs = form.apply(selectors.queue_for_user(user=request.user, queue=queue))
    # unfiltered, the total comes from the status tally instead of a COUNT over the queue
    # (kept on the request: the top bar's badges read the same sums)
    request.queue_tally = selectors.tally_sums(user=request.user)
    total = None if form.narrows() else request.queue_tally[queue]
    ctx = list_context(request, qs, sorts=SORTS, default_sort="-time" if queue == "mine" else "submitted",
                       count=total, deferred=True)
    ctx.update(filter={"form": form}, queue=queue, title=title)
    return render(request, "applications/queue.html", ctx)


@area_view("applications.view_application")
def queue_view(request, queue: str):
    if queue not in selectors.QUEUES:
        raise Http404
    return _queue(request, queue)


@area_view("applications.submit_application")
def application_create(request, member_pk: int):
    member = member_get_for_user(user=request.user, pk=member_pk)
    from apps.regions.selectors import region_from_address

    home = region_from_address(member.address)  # the cascader starts at the client's address
    form = ApplicationForm(request.POST or None, initial={"client_type": member.client_type,
                                                          "region_code": home.code if home else ""})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data

        def create():
            from apps.members.services import CONSENT_SCOPE, consent_record

            app = services.application_create(actor=request.user, member=member, product=d["product"],
                                              amount=d["amount"], term_months=d["term_months"],
                                              region=d["region_code"], purpose=d["purpose"],
                                              client_type=d["client_type"])
            consent_record(actor=request.user, member=member,
                           scope=CONSENT_SCOPE.format(order_no=app.order_no))
            return app

        done = form_step(request, form, create, redirect_to=services.application_link,
                         success=lambda app: _("已创建申请 %(no)s，请上传资料后提交。") % {"no": app.order_no})
        if done:
            return done
    return render(request, "applications/application_form.html", {"form": form, "member": member})


def _detail_page(pk: int) -> tuple[str, list[str]]:
    # read by every reviewer many times between changes: served from the page cache while the application
    # (generation app:<pk>), the names it shows ("ref") and the viewer's rights are unchanged
    return f"application:{pk}", [page_generation(pk), "ref"]


@area_view("applications.view_application",
           ahead=lambda request, pk: pagecache.keys_ahead(request, *_detail_page(pk)))
def application_detail(request, pk: int):
    return pagecache.serve(request, *_detail_page(pk), lambda extra: _application_detail(request, pk, extra))


def _list_level(user, app) -> tuple[str, str] | None:
    """The breadcrumb's list level for an application: the queue of the viewer's that holds it (a specific review
    queue before 我的申请/团队申请), as (title, queue name)."""
    held = [q for q, (_t, perm, _c) in selectors.QUEUES.items() if user.has_perm(perm)]
    fitting = [q for q in held if (selectors.QUEUE_STATUSES[q] or ()) and app.status in selectors.QUEUE_STATUSES[q]]
    fitting += [q for q in held if selectors.QUEUE_STATUSES[q] is None]
    return (selectors.QUEUES[fitting[0]][0], reverse(f"ops:queue_{fitting[0]}")) if fitting else None


def _application_detail(request, pk: int, extra: dict):
    app = selectors.application_get_for_user(user=request.user, pk=pk)
    actions = [(name, services.ACTIONS[name][1], services.ACTIONS[name][3])
               for name in services.available_actions(user=request.user, app=app)]
    doc_form = DocumentForm(checklist=app.product.checklist) \
        if services.documents_open(user=request.user, app=app) else None
    steps = sees_settlement_steps(request.user)
    ctx = {
        "app": app, "actions": actions, "doc_form": doc_form,
        "history": history_for(app.history.select_related("actor"), steps=steps),
        "sees_settlement_steps": steps, "status_shown": status_label(app.status, steps=steps),
        "documents": app.documents.select_related("uploaded_by"),
        "can_supplement": services.can_supplement(user=request.user, app=app),
        "can_arbitrate": services.can_arbitrate(user=request.user, app=app),
        "product_form": ProductConfirmForm(initial={"product": app.product_id})
        if services.product_can_confirm(user=request.user, app=app) else None,
        # the latest dispatch attempt (through the reverse relation: review does not import dispatch)
        "dispatch_last": app.dispatches.order_by("-attempt").first(),
        **extra,
    }
    last = ctx["dispatch_last"]
    # the institutions still pending, each with its own deadline (only while the dispatch runs)
    ctx["dispatch_pending"] = list(last.candidates.filter(status="offered").select_related("institution")
                                   .order_by("deadline", "pk")) if last and last.status == "running" else []
    ctx["list_level"] = _list_level(request.user, app)
    return render(request, "applications/application_detail.html", ctx)


@require_POST
@area_view("applications.view_application")
def application_act(request, pk: int, action: str):
    if action not in services.ACTIONS:
        raise Http404
    service, label, perm, needs_comment = services.ACTIONS[action]
    selectors.application_get_for_user(user=request.user, pk=pk)
    kwargs = {"actor": request.user, "application_id": pk}
    if action != "submit":
        kwargs["comment"] = request.POST.get("comment", "").strip()
    return run_step(request, service, **kwargs, success=_("操作成功：%(l)s。") % {"l": label}, redirect_to=_back(pk))


@require_POST
@area_view("applications.view_application")
def application_supplement(request, pk: int):
    selectors.application_get_for_user(user=request.user, pk=pk)
    return run_step(request, services.ask_supplement, actor=request.user, application_id=pk,
                    missing=request.POST.get("missing", "").strip(), asks_info=request.POST.get("asks_info") == "1",
                    success=_("已通知客户经理补充资料。"), redirect_to=_back(pk))


@require_POST
@area_view("applications.view_application")
def application_product(request, pk: int):
    """客服 / 贷审 confirm or change the product (the service checks the code of the current review step)."""
    selectors.application_get_for_user(user=request.user, pk=pk)
    form = ProductConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(_back(pk))
    return run_step(request, services.product_confirm, actor=request.user, application_id=pk,
                    product=form.cleaned_data["product"], reason=form.cleaned_data["reason"], redirect_to=_back(pk),
                    success=lambda app: _("已确认贷款类型（产品）：%(p)s。") % {"p": app.product.name}
                    + (_("按新产品资料不齐，已要求客户经理补充。") if app.status == "supplement" else ""))


@require_POST
@area_view("applications.arbitrate")
def application_arbitrate(request, pk: int):
    selectors.application_get_for_user(user=request.user, pk=pk)
    return run_step(request, services.arbitrate, actor=request.user, application_id=pk,
                    reasonable=request.POST.get("verdict") == "uphold", comment=request.POST.get("comment", "").strip(),
                    success=_("仲裁已完成。"), redirect_to=_back(pk))


@require_POST
@area_view("applications.submit_application")
def document_upload(request, pk: int):
    app = selectors.application_get_for_user(user=request.user, pk=pk)
    form = DocumentForm(request.POST, request.FILES, checklist=app.product.checklist)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(_back(pk))
    return run_step(request, services.document_add, actor=request.user, application_id=pk,
                    name=form.cleaned_data["name"], upload=form.cleaned_data["file"],
                    success=_("已上传：%(n)s。") % {"n": form.cleaned_data["name"]}, redirect_to=_back(pk))


@area_view("applications.view_application")
def document_download(request, pk: int, doc_pk: int):
    app = selectors.application_get_for_user(user=request.user, pk=pk)
    doc = get_object_or_404(Document, pk=doc_pk, application=app)
    return private_response(doc.path)
