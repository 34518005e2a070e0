from django.apps import AppConfig


class SpreadsheetsConfig(AppConfig):
    name = "dangjian.spreadsheets"
    verbose_name = "Excel 导入导出"
