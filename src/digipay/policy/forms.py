from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from digipay.policy.rules import PolicyKey


class PolicyForm(forms.Form):
    key = forms.ChoiceField(label=_("Kebijakan"), choices=PolicyKey.choices)
    value = forms.CharField(
        label=_("Nilai baru"),
        max_length=40,
        help_text=_("Rupiah (50000000), persen (40%) atau pecahan (1/12)."),
    )
    valid_from = forms.DateField(
        label=_("Berlaku mulai (dd/mm/yyyy)"), input_formats=["%d/%m/%Y", "%Y-%m-%d"]
    )
    legal_basis = forms.CharField(label=_("Dasar hukum / alasan"), max_length=300)
