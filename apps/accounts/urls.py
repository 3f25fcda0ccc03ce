"""URL patterns of this app, grouped by the web area that mounts them (see shuyin/urls.py)."""
from django.urls import path

from . import views, views_admin, views_details, views_menu, views_onboarding, views_profile


def auth_patterns():
    return [
        path("me/", views_profile.my_profile, name="my_profile"),
        path("login/", views.AreaLoginView.as_view(), name="login"),
        path("logout/", views.logout_view, name="logout"),
        path("", views.home, name="home"),
    ]


ops_patterns = auth_patterns()

platform_patterns = auth_patterns() + [
    path("institutions/", views.organization_list, name="organization_list"),
    path("institutions/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("institutions/<int:pk>/edit/", views_profile.institution_edit, name="institution_edit"),
    path("verifications/", views_profile.verification_list, name="verification_list"),
    path("institutions/detail-changes/", views_details.detail_change_list, name="detail_change_list"),
    path("institutions/detail-changes/<int:pk>/decide/", views_details.detail_change_decide,
         name="detail_change_decide"),
    path("verifications/<int:pk>/decide/", views_profile.verification_decide, name="verification_decide"),
    path("verifications/<int:pk>/photo/", views_profile.verification_photo, name="verification_photo"),
    path("institutions/new/", views_onboarding.institution_create, name="institution_create"),
    path("institutions/<int:pk>/toggle/", views_onboarding.institution_toggle, name="institution_toggle"),
    path("institutions/applications/", views_onboarding.application_list, name="application_list"),
    path("institutions/applications/<int:pk>/", views_onboarding.application_detail, name="application_detail"),
    path("institutions/applications/<int:pk>/licence/", views_onboarding.application_licence,
         name="application_licence"),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/new/", views_admin.staff_create, name="user_create"),
    path("users/<int:pk>/edit/", views_admin.staff_edit, name="user_edit"),
    path("users/<int:pk>/toggle/", views_admin.staff_toggle, name="user_toggle"),
    path("users/<int:pk>/password/", views_admin.staff_password, name="user_password"),
    path("users/<int:pk>/logout/", views_admin.staff_force_logout, name="user_force_logout"),
    path("roles/", views_admin.role_list, name="role_list"),
    path("roles/new/", views_admin.role_create, name="role_create"),
    path("roles/<int:pk>/edit/", views_admin.role_edit, name="role_edit"),
    path("logs/operations/", views.operation_log, name="operation_log"),
    path("logs/logins/", views.login_log, name="login_log"),
]

inst_patterns = auth_patterns() + [
    path("activate/<str:uidb64>/<str:token>/", views_onboarding.activate, name="activate"),
    path("profile/", views_profile.institution_profile, name="institution_profile"),
    path("profile/details/", views_details.institution_details, name="institution_details"),
    path("staff/", views.user_list, name="staff_list"),
    path("staff/<int:pk>/", views.user_detail, name="staff_detail"),
    path("staff/new/", views_admin.staff_create, name="staff_create"),
    path("staff/<int:pk>/edit/", views_admin.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/toggle/", views_admin.staff_toggle, name="staff_toggle"),
    path("staff/<int:pk>/password/", views_admin.staff_password, name="staff_password"),
    path("staff/<int:pk>/logout/", views_admin.staff_force_logout, name="staff_force_logout"),
    path("roles/", views_admin.role_list, name="role_list"),
    path("roles/new/", views_admin.role_create, name="role_create"),
    path("roles/<int:pk>/edit/", views_admin.role_edit, name="role_edit"),
    path("units/new/", views_admin.unit_create, name="unit_create"),
    path("units/<int:pk>/edit/", views_admin.unit_edit, name="unit_edit"),
    path("units/<int:pk>/delete/", views_admin.unit_delete, name="unit_delete"),
    path("units/", views.organization_list, name="unit_list"),
    path("units/<int:pk>/", views.organization_detail, name="unit_detail"),
    path("menus/", views_menu.inst_menu, name="inst_menu"),
    path("menus/groups/new/", views_menu.inst_menu_group_add, name="inst_menu_group_add"),
    path("menus/groups/<int:pk>/delete/", views_menu.inst_menu_group_delete, name="inst_menu_group_delete"),
    path("menus/reset/", views_menu.inst_menu_reset, name="inst_menu_reset"),
]

# Public (no area): the online join page for institutions.
public_patterns = [
    path("join/", views_onboarding.join, name="join"),
    path("join/<str:reference>/", views_onboarding.join_status, name="join_status"),
]
