from django.urls import path

from digipay.policy import views

app_name = "policy"

urlpatterns = [path("kebijakan/", views.policy_view, name="rules")]
