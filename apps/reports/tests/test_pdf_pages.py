"""A PDF export over several pages, written by the streaming table writer through the real Celery task: the real
file opened with pypdf and poppler — page count, the report header and the table's header row on every page,
"第 X 页 / 共 Y 页" right on every page, every row present once and in order."""
import re
import subprocess

import pytest

from apps.reports import services
from apps.reports.models import ExportJob
from apps.reports.tasks import export_task


@pytest.fixture(autouse=True)
def exports(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"


def test_multi_page_pdf_has_headers_and_page_numbers_on_every_page(cast, bulk_ready, settings):
    from pypdf import PdfReader

    apps = bulk_ready(130)
    job = services.export_request(user=cast.cm, report_code="applications", fmt="pdf", params={})
    assert export_task.apply(args=[job.pk]).get() == "done"
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_done == job.rows_total == 130
    path = settings.EXPORT_ROOT / job.path
    reader = PdfReader(str(path))
    pages = [p.extract_text() for p in reader.pages]
    count = len(pages)
    assert count >= 3  # about 40 single-line rows a page: more than one "chunk" of pages
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(rf"^Pages:\s+{count}$", info, re.M)
    order_nos = []
    for number, text in enumerate(pages, start=1):
        assert "数银在线 · 贷款申请明细" in text, number                  # the page header
        assert "导出人" in text and cast.cm.display_name in text, number
        assert "单号" in text and "申请金额" in text, number                # the table's header row again
        assert f"第 {number} 页 / 共 {count} 页" in text, number          # numbering right on every page
        order_nos += re.findall(r"[A-Z]{2,}\d{6,}", text)
    assert "共 130 行" in pages[0]
    expected = [a.order_no for a in sorted(apps, key=lambda a: a.pk)]
    assert [o for o in order_nos if o in set(expected)] == expected  # each row once, in order, none lost at a break
    # poppler reads the embedded Chinese font and text the same way (the file is valid beyond pypdf)
    last = subprocess.run(["pdftotext", "-f", str(count), "-l", str(count), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    last = re.sub(r"\s+", "", last)  # poppler drops the spaces between Chinese characters
    assert f"第{count}页/共{count}页" in last and "数银在线·贷款申请明细" in last and expected[-1] in last
