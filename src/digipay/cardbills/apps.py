from django.apps import AppConfig


class CardbillsConfig(AppConfig):
    name = "digipay.cardbills"
    label = "cardbills"
    verbose_name = "Tagihan KKP"
