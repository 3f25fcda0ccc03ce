from apps.common.params import Param

G = "投诉处理时限"

PARAMS = [
    Param("complaints.hours.screening", "投诉处理中心受理审核时限", "int", 24, group=G, minimum=1, unit="小时"),
    Param("complaints.hours.investigating", "责任部门核查决定时限", "int", 72, group=G, minimum=1, unit="小时"),
    Param("complaints.hours.confirming", "处罚确认时限", "int", 48, group=G, minimum=1, unit="小时"),
    Param("complaints.hours.final_review", "投诉终审答复时限", "int", 24, group=G, minimum=1, unit="小时"),
    Param("complaints.hours.institution_handling", "机构处理反馈时限", "int", 72, group=G, minimum=1, unit="小时"),
    Param("complaints.hours.platform_confirming", "数银确认机构反馈时限", "int", 24, group=G, minimum=1, unit="小时"),
    Param("complaints.hours.escalate", "逾期后升级时间", "int", 24, group=G, minimum=1, unit="小时",
          description="步骤逾期先提醒负责人，再过该时长仍未处理则提醒其上级"),
]
