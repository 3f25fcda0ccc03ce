from apps.common.params import Param

PARAMS = [
    Param("reports.keep_hours", "导出文件保留时长", "int", 72, group="报表参数", minimum=1, maximum=720, unit="小时",
          description="导出的 Excel/PDF 文件保留该时长后自动删除"),
    Param("reports.pdf_max_rows", "PDF 导出最大行数", "int", 50000, group="报表参数", minimum=100, maximum=200000,
          unit="行", description="超过该行数请导出 Excel"),
]
