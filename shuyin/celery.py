"""Celery application. Every periodic schedule of the product is declared in
``shuyin.schedules.BEAT_SCHEDULE`` so that timers live in one place."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuyin.settings.dev")

app = Celery("shuyin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
