from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "digipay.accounts"
    label = "accounts"
    verbose_name = "Akun dan organisasi"
