from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("ops.reports", Area.OPS, "统计报表", icon="bar-chart", order=70),
    MenuItem("ops.reports.stats", Area.OPS, "业务统计报表", "ops:report_stats", "applications.view_application",
             parent="ops.reports", order=1),
    MenuItem("ops.reports.exports", Area.OPS, "导出文件", "ops:export_list", "reports.export_report",
             parent="ops.reports", order=2),
    MenuItem("inst.reports", Area.INST, "统计与行情", icon="bar-chart", order=40),
    MenuItem("inst.reports.stats", Area.INST, "业务统计报表", "inst:report_stats", "dispatch.view_case",
             parent="inst.reports", order=1),
    MenuItem("inst.reports.ranking", Area.INST, "区域内业务水平排名", "inst:ranking", "reports.view_ranking",
             parent="inst.reports", order=2),
    MenuItem("inst.reports.market", Area.INST, "可操作行情", "inst:market", "dispatch.view_case",
             parent="inst.reports", order=3),
    MenuItem("inst.reports.exports", Area.INST, "导出文件", "inst:export_list", "reports.export_report",
             parent="inst.reports", order=4),
]

ROLE_GRANTS = {
    "inst_admin": ["reports.export_report", "reports.view_ranking"],
    "inst_officer": ["reports.view_ranking"],
    "inst_viewer": ["reports.export_report", "reports.view_ranking"],
    "cm": ["reports.export_report"],
    "cm_leader": ["reports.export_report"],
    "lr": ["reports.export_report"],
    "lr_supervisor": ["reports.export_report"],
    "of": ["reports.export_report"],
    "of_clerk": ["reports.export_report"],
    "business_dept": ["reports.export_report", "applications.view_application"],
    "settlement_clerk": ["reports.export_report"],
}
