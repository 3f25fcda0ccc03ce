"""Entries for the URL isolation registry (tests/test_url_isolation.py, merged there by hand): the institution's
complaint URLs point at institution B's complaint, which A's admin must not reach; the 数银 URLs take any id
(the complaint centre sees every complaint).

``b_complaint(cast)`` is filed by B's admin with an attachment and, through the real services, accepted by the
complaint centre and routed back to B to handle, so that even B's report form has a live step behind it."""
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.complaints.models import Complaint
from tests.fixtures.files import PNG


def b_complaint(c) -> Complaint:
    found = getattr(c, "b_complaint", None)
    if found is None:
        from apps.complaints import services

        found = services.complaint_file(actor=c.b_admin, subject="乙机构的投诉", content="乙机构客户反映的问题",
                                        contact_person="乙机构联系人", contact_phone="13700000088",
                                        attachments=[SimpleUploadedFile("乙.png", PNG)])
        services.screen(actor=c.cc, complaint_id=found.pk, decision="accepted", responsible_kind="institution",
                        institution_id=c.inst_b.pk)
        c.b_complaint = found
    return found


def b_attachment(c) -> dict:
    complaint = b_complaint(c)
    return {"pk": complaint.pk, "att_pk": complaint.attachments.get().pk}


FOREIGN = {
    "inst:complaint_detail": lambda c: {"pk": b_complaint(c).pk},
    "inst:complaint_report": lambda c: {"pk": b_complaint(c).pk},
    "inst:complaint_attachment": b_attachment,
    "ops:complaint_attachment": lambda c: {"pk": 999999, "att_pk": 999999},
}
FOREIGN_DEFAULT_OK = {
    "ops:complaint_detail", "ops:complaint_screen", "ops:complaint_decide", "ops:complaint_confirm_penalty",
    "ops:complaint_final_review", "ops:complaint_platform_confirm", "ops:complaint_suggestion_handled",
}
