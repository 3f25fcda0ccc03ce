"""The client's files on the institution's case page: the chosen institution sees the application's documents
(and the ID photos when the client's consent covers identity data) and downloads each through its case; every
download is logged as a full view; another institution, the institution that accepted but was not chosen, and a
wrong role get nothing; once the institution gave the case up (无法放款) the files are gone from it."""
import pytest
from django.test import Client

from apps.cases import services
from apps.cases.models import Case
from apps.dispatch.models import Candidate
from apps.members.models import PiiAccess
from apps.members.services import CONSENT_SCOPE, consent_record
from apps.settlement.tests.test_settlement import chosen  # noqa: F401 (fixture)
from tests.fixtures.files import PNG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


def body(resp) -> bytes:
    return b"".join(resp.streaming_content)


def consent(cast, case):
    app = case.application
    consent_record(actor=cast.cm, member=app.member, scope=CONSENT_SCOPE.format(order_no=app.order_no))


def test_chosen_institution_sees_and_downloads_documents_and_each_download_is_logged(client, cast, login, chosen):
    partner, case = chosen()
    consent(cast, case)
    doc = case.application.documents.first()
    member = case.application.member
    login(partner.user)
    html = client.get(f"/inst/cases/{case.pk}/").content.decode()
    assert 'data-testid="documents"' in html and doc.name in html
    assert f"/inst/cases/{case.pk}/documents/{doc.pk}/" in html and f"/inst/cases/{case.pk}/id-photo/front/" in html
    assert "标记无法放款" in html and "能否操作" not in html
    before = PiiAccess.objects.filter(member=member, user=partner.user).count()
    assert body(client.get(f"/inst/cases/{case.pk}/documents/{doc.pk}/")).startswith(PNG[:8])
    assert body(client.get(f"/inst/cases/{case.pk}/id-photo/back/")).startswith(PNG[:8])
    logged = list(PiiAccess.objects.filter(member=member, user=partner.user).values_list("fields", flat=True))
    assert len(logged) == before + 2 and f"document:{doc.pk}" in logged and "id_photo_back" in logged
    assert client.get(f"/inst/cases/{case.pk}/id-photo/passport/").status_code == 404


def test_id_photos_only_with_the_clients_consent(client, cast, login, chosen):
    partner, case = chosen()
    login(partner.user)
    html = client.get(f"/inst/cases/{case.pk}/").content.decode()
    assert "/id-photo/" not in html and case.application.documents.first().name in html
    assert client.get(f"/inst/cases/{case.pk}/id-photo/front/").status_code == 404
    consent_record(actor=cast.cm, member=case.application.member, scope=CONSENT_SCOPE.format(order_no="OTHER001"))
    assert client.get(f"/inst/cases/{case.pk}/id-photo/front/").status_code == 404  # another application's consent


def test_other_institutions_the_unchosen_acceptor_and_wrong_roles_get_nothing(client, cast, login, chosen, draft):
    partner, case = chosen()
    consent(cast, case)
    doc = case.application.documents.first()
    member = case.application.member
    urls = [f"/inst/cases/{case.pk}/documents/{doc.pk}/", f"/inst/cases/{case.pk}/id-photo/front/"]
    loser = Candidate.objects.exclude(institution_id=case.institution_id).get(dispatch__application=case.application)
    from apps.accounts.models import User

    loser_user = User.objects.filter(organization_id=loser.institution_id).first()
    for who in (cast.b_admin, loser_user):
        c = Client()
        login(who, c=c)
        assert [c.get(u).status_code for u in urls] == [404, 404]
    c = Client()
    login(cast.cm, c=c)  # a 数银 customer manager is not an institution user
    assert [c.get(u).status_code for u in urls] == [403, 403]
    assert not PiiAccess.objects.filter(member=member).exclude(user=partner.user).exists()
    # another application's document through this case: 404
    foreign = draft().documents.first()
    login(partner.user)
    assert client.get(f"/inst/cases/{case.pk}/documents/{foreign.pk}/").status_code == 404


def test_a_case_given_up_shows_no_files(client, cast, login, chosen):
    partner, case = chosen()
    consent(cast, case)
    doc = case.application.documents.first()
    services.case_cannot_lend(actor=partner.user, case_id=case.pk, reason="客户征信不符合要求")
    assert Case.objects.get(pk=case.pk).status == Case.Status.CANNOT_LEND
    login(partner.user)
    html = client.get(f"/inst/cases/{case.pk}/").content.decode()
    assert "不再提供客户资料" in html and f"/documents/{doc.pk}/" not in html
    assert client.get(f"/inst/cases/{case.pk}/documents/{doc.pk}/").status_code == 404
    assert client.get(f"/inst/cases/{case.pk}/id-photo/front/").status_code == 404
