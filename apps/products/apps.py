from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "apps.products"
    verbose_name = "贷款产品"
