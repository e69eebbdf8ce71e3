from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "digipay.demo"
    label = "demo"
    verbose_name = "Data demo"
