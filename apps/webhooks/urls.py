from django.urls import path

from . import views

inst_patterns = [
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/<int:pk>/edit/", views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("webhooks/deliveries/<int:pk>/replay/", views.webhook_replay, name="webhook_replay"),
]
