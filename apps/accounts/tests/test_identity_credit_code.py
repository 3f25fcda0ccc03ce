"""Credit codes and ID numbers at the institution pages (issue 17 §1, §2): one institution per credit code in
the database; a join application for a code already registered or already pending is refused with where the
code stands; the platform's add-institution form refuses an existing code; GB 32100 authority and category
characters are checked; the institution's real-name form takes full-width digits and refuses the others."""
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from apps.accounts import services
from apps.accounts.models import InstitutionApplication, Organization, RealNameVerification
from apps.accounts.tests.test_onboarding import join_data
from apps.accounts.tests.test_profile import photo
from apps.regions.models import Region

pytestmark = pytest.mark.django_db

CODE = "91350100M000100Y43"
FULL_WIDTH_CODE = "９１３５０１００Ｍ０００１００Ｙ４３"
OTHER_CODE = "9144030071526726XG"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


def add_form(**extra):
    return {"name": "无锡直建机构", "code": "wuxi", "credit_code": CODE, "region": Region.objects.get(code="3202").pk,
            "address": "", "contact_name": "钱", "contact_phone": "０５１０－８８８８", "admin_username": "wuxi_admin",
            "admin_real_name": "钱管理", **extra}


def test_join_in_full_width_stores_ascii_then_a_second_join_is_told_it_is_pending(client):
    assert client.post("/join/", join_data(credit_code=FULL_WIDTH_CODE, contact_mobile="１３９１２３４５６７８")
                       ).status_code == 302
    app = InstitutionApplication.objects.get()
    assert app.credit_code == CODE and app.contact_mobile == "13912345678"
    for typed in (CODE, FULL_WIDTH_CODE, CODE.lower()):
        resp = client.post("/join/", join_data(credit_code=typed, admin_username="another_admin"))
        assert resp.status_code == 200
        assert "该统一社会信用代码已于" in resp.content.decode() and "正在审核中，请勿重复提交" in resp.content.decode()
    assert InstitutionApplication.objects.count() == 1


def test_a_join_for_a_registered_code_is_told_the_institution_is_already_in(client, cast):
    Organization.objects.filter(pk=cast.inst_b.pk).update(credit_code=CODE)
    resp = client.post("/join/", join_data(credit_code=FULL_WIDTH_CODE))
    assert resp.status_code == 200 and "该统一社会信用代码的机构已入驻数银在线，请直接登录机构后台" in resp.content.decode()
    assert not InstitutionApplication.objects.exists()


def test_a_rejected_application_does_not_block_a_new_one(client, cast):
    client.post("/join/", join_data())
    app = InstitutionApplication.objects.get()
    services.institution_application_reject(actor=cast.admin, application_id=app.pk, reason="执照不清晰")
    assert client.post("/join/", join_data(admin_username="second_try")).status_code == 302
    assert InstitutionApplication.objects.filter(status="pending").count() == 1


@pytest.mark.parametrize("first2,message", [("21", "第 1 位（登记管理部门代码）"), ("94", "第 2 位（机构类别代码）“4”")])
def test_join_checks_authority_and_category_characters(client, first2, message):
    from apps.common.validators import uscc_check_char

    first17 = first2 + CODE[2:17]
    resp = client.post("/join/", join_data(credit_code=first17 + uscc_check_char(first17)))
    assert resp.status_code == 200 and message in resp.content.decode()
    assert not InstitutionApplication.objects.exists()


def test_platform_add_institution_refuses_an_existing_code_and_names_its_holder(client, cast, login):
    Organization.objects.filter(pk=cast.inst_b.pk).update(credit_code=CODE)
    login(cast.admin)
    resp = client.post("/platform/institutions/new/", add_form(credit_code=FULL_WIDTH_CODE))
    assert resp.status_code == 200
    assert "该统一社会信用代码已属于机构“乙机构”（编码 t-inst-b），不能重复创建。" in resp.content.decode()
    assert not Organization.objects.filter(code="wuxi").exists()


def test_platform_add_institution_refuses_a_code_pending_review_and_stores_ascii(client, cast, login):
    client.post("/join/", join_data())
    staff = Client()
    login(cast.admin, c=staff)
    resp = staff.post("/platform/institutions/new/", add_form())
    assert "该统一社会信用代码有一份待审核的入驻申请" in resp.content.decode()
    resp = staff.post("/platform/institutions/new/", add_form(credit_code="９１４４０３００７１５２６７２６ｘｇ"))
    assert resp.status_code == 302
    org = Organization.objects.get(code="wuxi")
    assert org.credit_code == OTHER_CODE and org.contact_phone == "0510-8888"


def test_approving_an_old_application_whose_code_was_taken_meanwhile_says_so(client, cast, login):
    client.post("/join/", join_data())
    app = InstitutionApplication.objects.get()
    Organization.objects.filter(pk=cast.inst_b.pk).update(credit_code=CODE)  # as old data could have it
    login(cast.admin)
    resp = client.post(f"/platform/institutions/applications/{app.pk}/", {"approve": "1", "code": "suzhou"},
                       follow=True)
    assert resp.status_code == 200 and "该统一社会信用代码已属于机构“乙机构”" in resp.content.decode()
    assert not Organization.objects.filter(code="suzhou").exists()
    assert InstitutionApplication.objects.get().status == "pending"


def test_editing_an_institution_cannot_take_another_ones_code(client, cast, login):
    Organization.objects.filter(pk=cast.inst_b.pk).update(credit_code=CODE)
    login(cast.admin)
    resp = client.post(f"/platform/institutions/{cast.inst_a.pk}/edit/", {
        "name": "甲机构", "short_name": "", "credit_code": FULL_WIDTH_CODE, "address": "", "contact_name": "",
        "contact_phone": "", "head_mobile": "", "follower": ""})
    assert resp.status_code == 200 and "该统一社会信用代码已属于另一家机构" in resp.content.decode()
    assert Organization.objects.get(pk=cast.inst_a.pk).credit_code == ""


def test_the_database_keeps_one_institution_per_code_and_ascii_only(cast):
    Organization.objects.filter(pk=cast.inst_a.pk).update(credit_code=CODE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=cast.inst_b.pk).update(credit_code=CODE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=cast.inst_b.pk).update(credit_code=FULL_WIDTH_CODE)
    Organization.objects.filter(pk__in=[cast.inst_a_sub.pk, cast.inst_b.pk]).update(credit_code="")  # blank: many


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db-threads")
def test_two_join_forms_sent_at_once_give_one_application(db):
    barrier, results = threading.Barrier(2), []

    def submit(i):
        try:
            data = join_data(admin_username=f"racer_{i}")
            barrier.wait()
            services.institution_application_submit(
                name=data["name"], credit_code=CODE, region=data["region"] and Region.objects.get(pk=data["region"]),
                address="x", contact_name="x", contact_mobile="13912345678", admin_username=data["admin_username"],
                licence=data["licence"])
            results.append("ok")
        except Exception as exc:  # noqa: BLE001 — the refusal is what we count
            results.append(getattr(exc, "message_dict", {}).get("credit_code", [repr(exc)])[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results.count("ok") == 1 and "正在审核中" in [r for r in results if r != "ok"][0]
    assert InstitutionApplication.objects.filter(credit_code=CODE).count() == 1


def test_institution_real_name_form_folds_full_width_and_refuses_other_digits(client, cast, login):
    login(cast.a_admin)
    resp = client.post("/inst/profile/", {"subject": "head", "real_name": "张三", "id_number": "1101051949123100²X",
                                          "id_photo": photo()})
    assert resp.status_code == 200 and "“²”不是可识别的数字或字母" in resp.content.decode()
    assert not RealNameVerification.objects.exists()
    client.post("/inst/profile/", {"subject": "head", "real_name": "张三", "id_number": "１１０１０５１９４９１２３１００２ｘ",
                                   "id_photo": photo()})
    assert RealNameVerification.objects.get().id_number == "11010519491231002X"
