"""Complaint pages. The services' in-site messages link to ``/<area>/complaints/<pk>/``: keep these paths."""
from django.urls import path

from . import views

_shared = [
    path("complaints/", views.complaint_list, name="complaint_list"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/attachments/<int:att_pk>/", views.attachment_download, name="complaint_attachment"),
]

ops_patterns = [
    *_shared,
    path("complaints/dashboard/", views.complaint_dashboard, name="complaint_dashboard"),
    path("complaints/<int:pk>/screen/", views.complaint_screen, name="complaint_screen"),
    path("complaints/<int:pk>/decide/", views.complaint_decide, name="complaint_decide"),
    path("complaints/<int:pk>/confirm-penalty/", views.complaint_confirm_penalty, name="complaint_confirm_penalty"),
    path("complaints/<int:pk>/final-review/", views.complaint_final_review, name="complaint_final_review"),
    path("complaints/<int:pk>/suggestion-handled/", views.complaint_suggestion_handled,
         name="complaint_suggestion_handled"),
    path("complaints/<int:pk>/platform-confirm/", views.complaint_platform_confirm,
         name="complaint_platform_confirm"),
]

inst_patterns = [
    *_shared,
    path("complaints/<int:pk>/report/", views.complaint_report, name="complaint_report"),
]
