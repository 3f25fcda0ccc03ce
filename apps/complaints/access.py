from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("ops.complaints", Area.OPS, "投诉反馈", icon="megaphone", order=50),
    MenuItem("ops.complaints.list", Area.OPS, "投诉列表", "ops:complaint_list", "complaints.view_complaint",
             parent="ops.complaints", order=1),
    MenuItem("ops.complaints.new", Area.OPS, "登记投诉", "ops:complaint_new", "complaints.file_complaint",
             parent="ops.complaints", order=2),
    MenuItem("ops.complaints.dashboard", Area.OPS, "投诉处理看板", "ops:complaint_dashboard",
             "complaints.handle_complaint", parent="ops.complaints", order=3),
    MenuItem("inst.complaints", Area.INST, "投诉/反馈", icon="megaphone", order=60),
    MenuItem("inst.complaints.list", Area.INST, "投诉记录查询", "inst:complaint_list", "complaints.view_complaint",
             parent="inst.complaints", order=1),
    MenuItem("inst.complaints.new", Area.INST, "发起投诉", "inst:complaint_new", "complaints.file_complaint",
             parent="inst.complaints", order=2),
]

_STAFF = ["complaints.view_complaint", "complaints.file_complaint"]
ROLE_GRANTS = {
    "complaint_center": _STAFF + ["complaints.handle_complaint", "complaints.view_all_complaints"],
    "business_dept": _STAFF + ["complaints.review_complaint", "complaints.view_all_complaints"],
    "cm_leader": _STAFF + ["complaints.review_complaint"],
    "lr_supervisor": _STAFF + ["complaints.review_complaint"],
    "of": _STAFF + ["complaints.review_complaint"],
    "cm": _STAFF,
    "cs": _STAFF,
    "lr": _STAFF,
    "settlement_clerk": _STAFF,
    "inst_admin": _STAFF + ["complaints.handle_institution_complaint"],
    "inst_officer": _STAFF,
    "inst_viewer": ["complaints.view_complaint"],
}
