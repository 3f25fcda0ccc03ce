"""业务统计报表 for an institution (机构后台 六.1): the seed's 客户经理 dimension is, for an institution, its own
officer who handles the case — a filter and a column, on the page and in the Excel and PDF exports."""
import io
import re

import pytest
from openpyxl import load_workbook

from apps.cases import services as cases
from apps.dispatch.models import Candidate
from apps.reports import services
from apps.settlement.tests.test_settlement import chosen  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def exports(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"


@pytest.fixture
def two_cases(cast, chosen, clock_reset):
    """The chosen institution with its admin, an officer, and a second offer it has not allocated."""
    from apps.accounts.services import institution_role, user_create

    partner, case = chosen()
    officer = user_create(username="p_officer", password=cast.password, real_name="周经办", organization=partner.org,
                          roles=[institution_role(partner.org, "inst_officer")])
    cases.case_allocate(actor=partner.user, case_id=case.pk, officer_id=officer.pk)
    offers = Candidate.objects.filter(institution=partner.org)
    assert offers.count() >= 1
    return partner, officer, case


def test_filter_and_column_on_the_page(client, cast, login, two_cases, django_assert_num_queries):
    partner, officer, case = two_cases
    login(partner.user)
    page = client.get("/inst/reports/").content.decode()
    assert "<th>客户经理</th>" in page and "周经办" in page
    assert re.search(rf'<option value="{officer.pk}">周经办</option>', page)  # the institution's own staff
    total = Candidate.objects.filter(institution=partner.org).count()
    filtered = client.get(f"/inst/reports/?cm={officer.pk}").content.decode()
    assert case.application.order_no in filtered and "周经办" in filtered
    assert re.search(r'派单笔数</div><div class="stat-value">1<', filtered)
    nobody = client.get(f"/inst/reports/?cm={partner.user.pk}").content.decode()
    assert re.search(r'派单笔数</div><div class="stat-value">0<', nobody) and total >= 1
    client.get("/inst/reports/")
    with django_assert_num_queries(14):  # the officer comes with the rows (select_related), not one query each
        client.get("/inst/reports/")


def test_officer_sees_only_themselves_in_the_filter(client, cast, login, two_cases):
    partner, officer, case = two_cases
    login(officer)
    page = client.get("/inst/reports/").content.decode()
    options = re.findall(r'<select name="cm"[^>]*>(.*?)</select>', page, re.S)[0]
    assert "周经办" in options and partner.user.real_name not in options


def test_excel_and_pdf_carry_the_officer(cast, two_cases, settings):
    from pypdf import PdfReader

    partner, officer, case = two_cases
    job = services.export_request(user=partner.user, report_code="inst_cases", fmt="xlsx", params={"cm": officer.pk})
    services.export_run(job.pk)
    job.refresh_from_db()
    rows = list(load_workbook(settings.EXPORT_ROOT / job.path, read_only=True).active.iter_rows(values_only=True))
    header = list(rows[0])
    assert "客户经理" in header and len(rows) == 2
    assert rows[1][header.index("客户经理")] == "周经办" and rows[1][0] == case.application.order_no
    pdf = services.export_request(user=partner.user, report_code="inst_cases", fmt="pdf", params={"cm": officer.pk})
    services.export_run(pdf.pk)
    pdf.refresh_from_db()
    text = PdfReader(str(settings.EXPORT_ROOT / pdf.path)).pages[0].extract_text()
    assert "客户经理" in text and "周经办" in text


def test_another_institution_filtering_by_this_officer_sees_nothing(client, cast, login, two_cases):
    partner, officer, case = two_cases
    login(cast.b_admin)
    page = client.get(f"/inst/reports/?cm={officer.pk}").content.decode()
    assert case.application.order_no not in page and "周经办" not in page
