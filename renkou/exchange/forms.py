"""Forms of the exchange pages: shape only; the services validate the file and the rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from renkou.exchange.kinds import KINDS
from renkou.exchange.reading import SUFFIXES

# Uploads above this size are refused before they are read (a county's yearly police
# register is some 30 MB as xlsx).
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def kind_choices(zh: bool) -> list[tuple[str, str]]:
    """(code, label) of every roster kind in the page's language."""
    return [(k.code, k.label_zh if zh else k.label_en) for k in KINDS.values()]


class UploadForm(forms.Form):
    """A roster file, its kind and the org unit that received it."""

    kind = forms.ChoiceField(label=_("Roster kind"))
    orgunit = forms.ChoiceField(label=_("Received by"))
    file = forms.FileField(
        label=_("File (xlsx, xls, csv or txt)"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUFFIXES)}),
    )

    def __init__(
        self, *args: Any, units: list[tuple[str, str]], zh: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices(zh)
        self.fields["orgunit"].choices = units

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(SUFFIXES):
            raise forms.ValidationError(_("Upload an xlsx, xls, csv or txt file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload
