from django.conf import settings
from django.urls import path

from . import views

_settings = [path("profile/notifications/", views.notification_settings, name="notification_settings")]
_robots = [
    path("notifications/robots/", views.robot_list, name="robot_list"),
    path("notifications/robots/new/", views.robot_create, name="robot_create"),
    path("notifications/robots/<int:pk>/", views.robot_edit, name="robot_edit"),
    path("notifications/robots/<int:pk>/delete/", views.robot_delete, name="robot_delete"),
    path("notifications/robots/<int:pk>/test/", views.robot_test, name="robot_test"),
]

ops_patterns = [*_settings]
inst_patterns = [*_settings, *_robots]
platform_patterns = [
    *_settings,
    *_robots,
    path("notifications/defaults/", views.notification_defaults, name="notification_defaults"),
    path("notifications/deliveries/", views.delivery_list, name="delivery_list"),
    # the demo mailbox exists only where settings ask for it (make run, tests); production refuses DEMO_MAILBOX
    *([path("notifications/demo-mailbox/", views.demo_mailbox, name="demo_mailbox"),
       path("notifications/demo-mailbox/<str:key>/", views.demo_mail, name="demo_mail")]
      if settings.DEMO_MAILBOX else []),
]
