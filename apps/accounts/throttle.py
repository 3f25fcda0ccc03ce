"""Login limits (django-axes handler): besides axes' own count of one account from one address, a count of one
account from every address together and of one address against every account together.

Twelve wrong passwords spread over three addresses stay under a per-address-and-account limit of five, so the
account has its own, higher limit: reached, the account is locked for the cool-off time whatever address the next
attempt comes from, and its owner and administrators get an in-site message (once per lock). One address trying
many accounts (password spraying) meets the per-address limit. All three are system parameters
(``apps/accounts/params.py``), counted over AXES_COOLOFF_TIME from axes' AccessAttempt rows; the client address is
``apps.common.middleware.client_ip`` (REMOTE_ADDR unless a trusted proxy header is configured)."""
from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

PAIR, ACCOUNT, ADDRESS = "pair", "account", "address"
LIMIT_PARAMS = {ACCOUNT: "security.login_account_failure_limit", ADDRESS: "security.login_address_failure_limit"}
LOCK_LOG_REASON = "账号锁定：多个IP累计登录失败"


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def _failures(since, **which) -> int:
    return AccessAttempt.objects.filter(attempt_time__gte=since, **which).aggregate(
        n=Sum("failures_since_start"))["n"] or 0


def lock_reason(request, credentials=None) -> str | None:
    """ACCOUNT when the account's failures from all addresses reached their limit, ADDRESS when the address's
    failures against all accounts did, else None (axes itself checks the account+address pair)."""
    from apps.common.params import params_get_many

    limits = params_get_many(LIMIT_PARAMS.values())
    since = get_cool_off_threshold(request)
    username = get_client_username(request, credentials)
    if username and _failures(since, username=username) >= limits[LIMIT_PARAMS[ACCOUNT]]:
        return ACCOUNT
    address = getattr(request, "axes_ip_address", None)
    if address and _failures(since, ip_address=address) >= limits[LIMIT_PARAMS[ADDRESS]]:
        return ADDRESS
    return None


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler plus the account-wide and address-wide limits. ``request.login_lock`` says which
    limit holds a refused sign-in (the lockout page words its message by it)."""

    def is_locked(self, request, credentials=None) -> bool:
        reason = lock_reason(request, credentials)
        if reason is None and super().is_locked(request, credentials):
            reason = PAIR
        if reason:
            request.login_lock = reason
        return reason is not None

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)  # records the failure (also while locked)
        if request is None or self.is_whitelisted(request, credentials):
            return
        reason = lock_reason(request, credentials)
        if reason is None:
            if request.axes_locked_out:
                request.login_lock = PAIR
            return
        request.login_lock = reason
        if not request.axes_locked_out:
            request.axes_locked_out, request.axes_credentials = True, credentials
            user_locked_out.send("axes", request=request, username=get_client_username(request, credentials),
                                 ip_address=request.axes_ip_address)
        if reason == ACCOUNT:
            account_lock_notify(username=get_client_username(request, credentials), ip=request.axes_ip_address,
                                area=getattr(request, "area", "") or "")


def account_locked_until(*, username: str):
    """When the account-wide lock of ``username`` ends (None: not locked); for the staff page."""
    from apps.common.params import param_get

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    totals = attempts.aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
    if (totals["n"] or 0) < param_get(LIMIT_PARAMS[ACCOUNT]):
        return None
    return totals["last"] + settings.AXES_COOLOFF_TIME


def login_failures_clear(*, username: str) -> int:
    """Forget the account's failed sign-ins (every address): lifts its locks. Called when an administrator sets a
    new password, which is how an administrator unlocks an account."""
    deleted, _rows = AccessAttempt.objects.filter(username=username).delete()
    return deleted


def account_administrators(user):
    """Who may unlock the account (reset its password): holders of accounts.change_user in an institution
    account's own institution tree; 数银's own administrators (and superusers) for a 数银 account."""
    from .models import User

    manages_users = Q(roles__is_active=True, roles__permissions__codename="change_user",
                      roles__permissions__content_type__app_label="accounts")
    org = user.organization
    if org is not None and org.is_institution:
        who = manages_users & Q(organization__path__startswith=f"/{org.root_id}/")
    else:
        who = (manages_users & Q(roles__organization__isnull=True)) | Q(is_superuser=True)
    return User.objects.filter(who, is_active=True).values_list("pk", flat=True).distinct()


def account_lock_notify(*, username: str, ip: str | None, area: str) -> bool:
    """Tell the owner and administrators that the account is locked; once per lock. Returns whether it told.

    1. Lock the account's row: concurrent failures that all reach the limit queue here.
    2. A lock already logged within the cool-off time → they were told; nothing more.
    3. Log the lock (login log) and send the messages in the same transaction.
    An unknown account name is locked all the same, with nobody to tell."""
    from apps.messaging.services import message_send

    from .models import LoginLog, User

    with transaction.atomic():
        user = (User.objects.select_for_update(of=("self",)).select_related("organization")
                .filter(username=username).first())
        if user is None:
            return False
        since = timezone.now() - settings.AXES_COOLOFF_TIME
        if LoginLog.objects.filter(user=user, reason=LOCK_LOG_REASON, created_at__gte=since).exists():
            return False
        attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
        addresses = sorted({a for a in attempts.values_list("ip_address", flat=True) if a})
        failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        LoginLog.objects.create(user=user, username=username, area=area, ip=ip, success=False, reason=LOCK_LOG_REASON)
        minutes = cooloff_minutes()
        message_send(
            recipients=[user.pk, *account_administrators(user)],
            title=_("账号 %(u)s 登录失败次数过多，已临时锁定 %(m)s 分钟") % {"u": username, "m": minutes},
            body=_("账号 %(u)s（%(name)s）在 %(m)s 分钟内从 %(n)s 个IP累计登录失败 %(f)s 次，已于 %(at)s 锁定 %(m)s 分钟，"
                   "期间从任何IP都不能登录。涉及IP：%(ips)s。如不是本人操作，说明有人在尝试猜测密码：请本人尽快修改密码，"
                   "管理员可在员工账号中重置密码。")
            % {"u": username, "name": user.display_name, "m": minutes, "n": len(addresses), "f": failures,
               "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"), "ips": "、".join(addresses) or "-"})
    return True
