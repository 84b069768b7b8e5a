"""yishi.choices: the faster get_FOO_display gives exactly Django's answer, in the active language."""

from django.apps import apps
from django.utils import translation

from portal.apps import CHOICE_APPS
from proposals.enums import EventKind
from proposals.models import ProposalEvent


def _choice_fields():
    for model in apps.get_models():
        if model._meta.app_label in CHOICE_APPS:
            for field in model._meta.concrete_fields:
                if field.choices:
                    yield model, field


def test_every_choice_field_of_our_apps_has_the_fast_display_installed():
    fields = list(_choice_fields())
    assert len(fields) > 10
    for model, field in fields:
        assert getattr(model, f"get_{field.name}_display").__module__ == "yishi.choices", (model, field.name)


def test_fast_display_matches_the_choice_labels_and_falls_back_to_the_value():
    for model, field in _choice_fields():
        instance = model()
        for value, label in field.flatchoices:
            setattr(instance, field.attname, value)
            assert instance._get_FIELD_display(field) == str(label)
            assert getattr(instance, f"get_{field.name}_display")() == str(label)
        setattr(instance, field.attname, "no-such-choice")
        assert getattr(instance, f"get_{field.name}_display")() == "no-such-choice"


def test_fast_display_translates_at_call_time():
    event = ProposalEvent(kind=EventKind.SUBMITTED)
    with translation.override("zh-hans"):
        chinese = event.get_kind_display()
    with translation.override("en"):
        english = event.get_kind_display()
        assert english == str(EventKind.SUBMITTED.label)
    assert chinese != english and english.isascii() and not chinese.isascii()
