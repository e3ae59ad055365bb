"""Pages' forms for the evidence library. They collect input; `evidence.py` judges it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.uploads import megabytes
from organisations.forms import GDSDateField, GDSFormMixin

from .evidence import max_upload_bytes
from .models import Evidence

TITLE_MAX = Evidence._meta.get_field("title").max_length


class ReviewDateField(GDSDateField):
    """GOV.UK date input for an optional review date."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Review by (optional)"))
        kwargs.setdefault(
            "help_text",
            _(
                "For example, 31 3 2027. After this date the evidence is shown as possibly "
                "out of date."
            ),
        )
        messages = {
            "incomplete": _("A review date must include a day, month and year."),
            "not_number": _("The %(part)s of the review date must be a number."),
            "invalid": _("The review date must be a real date."),
        }
        super().__init__(messages=messages, **kwargs)


class EvidenceKindForm(GDSFormMixin, forms.Form):
    """The first question: what kind of evidence. Sent by GET, so it changes nothing."""

    kind = forms.ChoiceField(
        label=_("What kind of evidence are you adding?"),
        choices=[
            (Evidence.Kind.FILE, _("A file, such as a report, policy, photo or spreadsheet")),
            (Evidence.Kind.LINK, _("A link to a web page")),
            (Evidence.Kind.NOTE, _("A note you write here")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select what kind of evidence you are adding.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_method = "get"
        self.fields["kind"].error_messages["invalid_choice"] = self.fields["kind"].error_messages[
            "required"
        ]


class _EvidenceForm(GDSFormMixin, forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        help_text=_("What the evidence is, so colleagues and assessors can find it."),
        error_messages={"required": _("Enter a title.")},
    )


class EvidenceFileForm(_EvidenceForm):
    submit_label = _("Upload file")

    # The service checks emptiness and size, with the same messages for the page and the API.
    upload = forms.FileField(
        label=_("File"),
        allow_empty_file=True,
        error_messages={"required": _("Select a file to upload.")},
    )
    review_date = ReviewDateField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["upload"].help_text = _(
            "PDF, image (PNG, JPEG, GIF or WebP), Word, Excel, PowerPoint, OpenDocument, CSV or "
            "plain text, up to %(limit)s MB."
        ) % {"limit": megabytes(max_upload_bytes())}


class EvidenceLinkForm(_EvidenceForm):
    submit_label = _("Add link")

    url = forms.CharField(
        label=_("Web address"),
        max_length=Evidence._meta.get_field("url").max_length,
        help_text=_("For example, https://www.example.gov.uk/annual-report"),
        error_messages={"required": _("Enter the web address.")},
    )
    review_date = ReviewDateField()


class EvidenceNoteForm(_EvidenceForm):
    submit_label = _("Add note")

    text = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Write the note.")},
    )
    review_date = ReviewDateField()


class EvidenceEditForm(_EvidenceForm):
    submit_label = _("Save changes")

    review_date = ReviewDateField()


ADD_FORMS = {
    Evidence.Kind.FILE: EvidenceFileForm,
    Evidence.Kind.LINK: EvidenceLinkForm,
    Evidence.Kind.NOTE: EvidenceNoteForm,
}


class EvidenceFilterForm(GDSFormMixin, forms.Form):
    """Narrows the library list; sent by GET so the address can be shared and bookmarked."""

    submit_label = _("Apply filters")

    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *Evidence.Kind.choices],
    )
    stale = forms.BooleanField(
        label=_("Only evidence past its review date"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_method = "get"
