"""Issue 16 §1: each offer keeps its own deadline (OFFER timers) and the client may choose from the first
acceptance. Running dispatches keep the deadlines they were given: every offer still open gets an OFFER
timer at the deadline it already has (its round's timer now only refills places), and a running dispatch
that already has an acceptance opens the client's choice now, with the 3 days counted from that first
acceptance as before."""
from datetime import timedelta

from django.db import migrations, models


def forwards(apps, schema_editor):
    Dispatch = apps.get_model("dispatch", "Dispatch")
    Candidate = apps.get_model("dispatch", "Candidate")
    Timer = apps.get_model("dispatch", "Timer")
    Application = apps.get_model("applications", "Application")
    StatusChange = apps.get_model("applications", "StatusChange")
    SystemParameter = apps.get_model("common", "SystemParameter")
    row = SystemParameter.objects.filter(key="dispatch.choice_minutes").first()
    choice_minutes = int(row.value) if row else 4320
    for dispatch in Dispatch.objects.filter(status="running").order_by("pk"):
        open_offers = Candidate.objects.filter(dispatch=dispatch, status="offered")
        for round_id, deadline in sorted(set(open_offers.values_list("round_id", "deadline"))):
            Timer.objects.create(kind="offer", dispatch=dispatch, round_id=round_id, due_at=deadline)
        if dispatch.accepted_count and dispatch.first_accepted_at and dispatch.choice_deadline is None:
            dispatch.choice_deadline = dispatch.first_accepted_at + timedelta(minutes=choice_minutes)
            dispatch.save(update_fields=["choice_deadline"])
            Timer.objects.create(kind="choice", dispatch=dispatch, due_at=dispatch.choice_deadline)
            app = Application.objects.select_for_update().get(pk=dispatch.application_id)
            if app.status == "dispatching":
                Application.objects.filter(pk=app.pk).update(status="awaiting_choice")
                StatusChange.objects.create(
                    application=app, from_status="dispatching", to_status="awaiting_choice",
                    comment="新规则：首家机构受理后即可录入客户选择（客户确认时限自首家受理起计算）")


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0002_lostcase_dispatch_lo_institu_37a54c_idx'),
        ('applications', '0005_cm_queue_cover'),
        ('common', '0002_systemparameter_systemparameterchange'),
    ]

    operations = [
        migrations.AlterField(
            model_name='round',
            name='deadline',
            field=models.DateTimeField(verbose_name='补全时间'),
        ),
        migrations.AlterField(
            model_name='timer',
            name='kind',
            field=models.CharField(choices=[('round', '补全下一轮'), ('offer', '机构受理截止'), ('choice', '客户确认截止')], max_length=10),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
