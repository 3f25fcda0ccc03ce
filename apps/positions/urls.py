from django.conf import settings
from django.urls import path

from . import views

inst_patterns = [
    path("finance/", views.finance_home, name="finance_home"),
    path("finance/recharge/", views.recharge_new, name="recharge_new"),
    path("finance/recharges/", views.recharge_list, name="recharge_list"),
    path("finance/recharges/return/", views.recharge_return, name="recharge_return"),
    path("finance/recharges/<int:pk>/pay/", views.recharge_pay, name="recharge_pay"),
    path("finance/recharges/<int:pk>/voucher/", views.recharge_voucher, name="recharge_voucher"),
    path("finance/transfer/", views.transfer, name="finance_transfer"),
    path("finance/journal/", views.journal, name="finance_journal"),
]

ops_patterns = [
    path("finance/", views.finance_overview, name="finance_overview"),
    path("finance/recharges/", views.recharge_queue, name="recharge_queue"),
    path("finance/recharges/<int:pk>/decide/", views.recharge_decide, name="recharge_decide"),
    path("finance/recharges/<int:pk>/voucher/", views.recharge_voucher, name="recharge_voucher"),
    path("finance/journal/", views.journal, name="finance_journal"),
    path("finance/approvals/", views.approvals, name="approvals"),
    path("finance/approvals/<int:pk>/decide/", views.approval_decide, name="approval_decide"),
]

# The local gateway pays without money: routed only where settings ask for it (shuyin/settings/base.py).
public_patterns = [
    path("pay/local/", views.gateway_pay_page, name="pay_local"),
    path("pay/notify/local/", views.gateway_notify, name="pay_notify_local"),
] if settings.PAYMENT_LOCAL_GATEWAY else []
# Real providers' notices: the views verify every notice through the provider's SDK and answer 404 while
# the provider is switched off.
public_patterns += [
    path("pay/notify/alipay/", views.provider_notify, {"name": "alipay"}, name="pay_notify_alipay"),
    path("pay/notify/wechat/", views.provider_notify, {"name": "wechat"}, name="pay_notify_wechat"),
]
