from django.urls import path

from . import agreement_views, views

inst_patterns = [
    path("settlements/", views.settlement_list, name="settlement_list"),
    path("settlements/monthly/", views.settlement_monthly, name="settlement_monthly"),
    path("settlements/<int:pk>/", views.settlement_detail, name="settlement_detail"),
    path("settlements/<int:pk>/pay/cash/", views.settlement_pay_cash, name="settlement_pay_cash"),
    path("settlements/<int:pk>/pay/offline/", views.settlement_pay_offline, name="settlement_pay_offline"),
    path("settlements/<int:pk>/rate/", views.settlement_rate_platform, name="settlement_rate"),
    path("settlements/<int:pk>/statement.pdf", views.settlement_statement_pdf, name="settlement_statement_pdf"),
    path("settlements/<int:pk>/voucher/", views.settlement_voucher, name="settlement_voucher"),
]

ops_patterns = [
    path("settlements/", views.settlement_list, name="settlement_list"),
    path("settlements/<int:pk>/", views.settlement_detail, name="settlement_detail"),
    path("settlements/<int:pk>/confirm-amount/", views.settlement_confirm_amount, name="settlement_confirm_amount"),
    path("settlements/<int:pk>/commission/confirm/", views.settlement_commission_confirm,
         name="settlement_commission_confirm"),
    path("settlements/<int:pk>/commission/adjust/", views.settlement_commission_adjust,
         name="settlement_commission_adjust"),
    path("settlements/<int:pk>/commission/decide/", views.settlement_commission_decide,
         name="settlement_commission_decide"),
    path("settlements/<int:pk>/confirm-client/", views.settlement_confirm_client, name="settlement_confirm_client"),
    path("settlements/<int:pk>/receipt/", views.settlement_receipt, name="settlement_receipt"),
    path("settlements/<int:pk>/release/", views.settlement_release, name="settlement_release"),
    path("settlements/<int:pk>/rate/", views.settlement_rate_institution, name="settlement_rate"),
    path("settlements/<int:pk>/statement.pdf", views.settlement_statement_pdf, name="settlement_statement_pdf"),
    path("settlements/<int:pk>/voucher/", views.settlement_voucher, name="settlement_voucher"),
    path("follow-ups/", views.follow_up_list, name="follow_up_list"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
]

platform_patterns = [
    path("agreements/", agreement_views.agreement_list, name="agreement_list"),
    path("agreements/new/", agreement_views.agreement_create, name="agreement_create"),
    path("agreements/<int:pk>/end/", agreement_views.agreement_end, name="agreement_end"),
]
