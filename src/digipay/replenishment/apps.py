from django.apps import AppConfig


class ReplenishmentConfig(AppConfig):
    name = "digipay.replenishment"
    label = "replenishment"
    verbose_name = "Penggantian UP"
