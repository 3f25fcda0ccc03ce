"""Entries of tests/test_url_isolation.py's registry for the reports URLs."""


def b_export(c):
    from apps.reports.models import ExportJob

    job = ExportJob.objects.filter(requested_by=c.b_admin).first() or ExportJob.objects.create(
        report="inst_cases", fmt="xlsx", requested_by=c.b_admin, title="乙机构的导出", status="done",
        path="none.xlsx")
    return {"pk": job.pk}


FOREIGN = {"inst:export_download": b_export, "ops:export_download": b_export}
