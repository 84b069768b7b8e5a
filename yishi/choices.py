"""A faster ``get_FOO_display`` for fields with translated choices.

Django's own builds ``dict(make_hashable(field.flatchoices))`` on every call, and
hashing each lazily translated label translates it: a timeline of 30 events
showed ~100 such calls, each translating every label of its enum (~40 ms of a
145 ms page). This version builds the value -> label map once per field and
translates only the one label it returns. Same result, same fallback (the raw
value when it is not a choice).
"""

from django.utils.encoding import force_str


def _display(field, labels: dict):
    attname = field.attname

    def get_display(self):
        value = getattr(self, attname)
        return force_str(labels.get(value, value), strings_only=True)

    get_display.__name__ = f"get_{field.name}_display"
    return get_display


def install_fast_choice_displays(models) -> int:
    """Replace ``get_<field>_display`` on ``models`` for every concrete field with choices."""
    installed = 0
    for model in models:
        for field in model._meta.concrete_fields:
            if not field.choices:
                continue
            labels = {value: label for value, label in field.flatchoices}
            setattr(model, f"get_{field.name}_display", _display(field, labels))
            installed += 1
    return installed
