from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "digipay.policy"
    label = "policy"
    verbose_name = "Kebijakan"
