import pytest

from .simulators import AliyunSmsSimulator, RobotReceiver, SmtpSink


@pytest.fixture
def eager(settings):
    """Tasks run in this process as they are queued (retries included), and the fan-out is on."""
    from shuyin.celery import app

    settings.NOTIFY_FANOUT = True
    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    # not propagating: an eager retry is raised as celery.exceptions.Retry otherwise (apply() then re-runs it)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


@pytest.fixture
def smtp(settings):
    sink = SmtpSink()
    settings.NOTIFY_EMAIL_ENABLED = True
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # pytest-django swaps in locmem
    yield sink
    sink.close()


@pytest.fixture
def sms(settings):
    sim = AliyunSmsSimulator(access_key_id="LTAI-test-key", secret="test-secret-阿里")
    settings.SMS_ALIYUN_ENABLED = True
    settings.SMS_ALIYUN_ACCESS_KEY_ID, settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "LTAI-test-key", "test-secret-阿里"
    settings.SMS_ALIYUN_SIGN_NAME = "数银在线"
    settings.SMS_ALIYUN_ENDPOINT, settings.SMS_ALIYUN_PROTOCOL = f"127.0.0.1:{sim.port}", "http"
    settings.SMS_ALIYUN_TEMPLATES = {"offer.expiring": "SMS_480001", "offer.created": "SMS_480002"}
    yield sim
    sim.close()


@pytest.fixture
def receiver():
    made = []

    def _make(**kw):
        r = RobotReceiver(**kw)
        made.append(r)
        return r

    yield _make
    for r in made:
        r.close()
