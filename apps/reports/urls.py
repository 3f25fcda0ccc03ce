from django.urls import path

from . import views

_common = [
    path("reports/exports/", views.export_list, name="export_list"),
    path("reports/exports/new/", views.export_create, name="export_create"),
    path("reports/exports/<int:pk>/download/", views.export_download, name="export_download"),
]

ops_patterns = [path("reports/", views.ops_report_stats, name="report_stats"), *_common]

inst_patterns = [
    path("reports/", views.inst_report_stats, name="report_stats"),
    path("reports/ranking/", views.ranking, name="ranking"),
    path("reports/market/", views.market, name="market"),
    *_common,
]
