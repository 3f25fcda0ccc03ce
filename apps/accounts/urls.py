"""URL patterns of this app, grouped by the web area that mounts them (see shuyin/urls.py)."""
from django.urls import path

from . import views


def auth_patterns():
    return [
        path("login/", views.AreaLoginView.as_view(), name="login"),
        path("logout/", views.logout_view, name="logout"),
        path("", views.home, name="home"),
    ]


ops_patterns = auth_patterns()

platform_patterns = auth_patterns() + [
    path("institutions/", views.organization_list, name="organization_list"),
    path("institutions/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("logs/operations/", views.operation_log, name="operation_log"),
    path("logs/logins/", views.login_log, name="login_log"),
]

inst_patterns = auth_patterns() + [
    path("staff/", views.user_list, name="staff_list"),
    path("staff/<int:pk>/", views.user_detail, name="staff_detail"),
    path("units/", views.organization_list, name="unit_list"),
    path("units/<int:pk>/", views.organization_detail, name="unit_detail"),
]
