"""Disbursement amounts typed on a Chinese keyboard (issue 17 §1): "１２３" is read as 123 and shown as such, a
superscript or Arabic-Indic digit is refused in Chinese, three decimals say "最多两位小数" and nothing else."""
import pytest

from apps.cases import services
from apps.cases.models import Case
from apps.common import clock
from apps.settlement.models import Settlement
from apps.settlement.tests.test_settlement import chosen  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


@pytest.fixture
def signed(chosen):  # noqa: F811
    partner, case = chosen()
    services.case_allocate(actor=partner.user, case_id=case.pk, officer_id=partner.user.pk)
    services.case_start_review(actor=partner.user, case_id=case.pk)
    services.case_book_signing(actor=partner.user, case_id=case.pk, at=clock.now(), place="门店")
    services.case_record_signing(actor=partner.user, case_id=case.pk, note="已签")
    return partner, case


def disburse(client, case, **extra):
    data = {"amount": "1000", "disbursed_on": clock.today().isoformat(), "contract_no": "HT-1", "term_months": "12",
            "annual_rate": "6.5", **extra}
    return client.post(f"/inst/cases/{case.pk}/disburse/", data, follow=True)


@pytest.mark.parametrize("typed,message", [
    ("0.001", "金额最多两位小数。"), ("123.456", "金额最多两位小数。"), ("1²3", "“²”不是可识别的数字或字母"),
    ("١٢٣", "“١”不是可识别的数字或字母"), ("0", "放款金额必须大于 0。"),
])
def test_bad_amounts_are_refused_with_the_right_chinese_message_only(client, login, signed, typed, message):
    partner, case = signed
    login(partner.user)
    html = disburse(client, case, amount=typed).content.decode()
    assert message in html
    if message.startswith("金额最多"):
        assert "必须大于 0" not in html
    assert Case.objects.get(pk=case.pk).status == Case.Status.SIGNED and not Settlement.objects.exists()


def test_full_width_amount_term_rate_and_date_are_read_as_ascii(client, login, signed, books_balance):
    partner, case = signed
    login(partner.user)
    day = clock.today().isoformat().translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    html = disburse(client, case, amount="１２３", term_months="１２", annual_rate="６．５", disbursed_on=day,
                    contract_no="HT-FW").content.decode()
    assert "已录入放款 ¥123.00" in html
    case = Case.objects.get(pk=case.pk)
    assert case.status == "disbursed" and str(case.disbursed_amount) == "123.00"
    books_balance()
