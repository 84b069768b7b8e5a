"""Form fields shared by every app."""

from django import forms
from django.core.exceptions import ValidationError

# The largest primary key a database column holds; SQLite raises OverflowError past it.
MAX_ID = 2**63 - 1


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of model rows by id that refuses an id no column can hold as an invalid
    choice, before any query (the fuzz test posts 400-digit ids), and shows people by name."""

    def _check_values(self, value):
        for pk in value if isinstance(value, (list, tuple)) else ():
            try:
                too_big = abs(int(pk)) > MAX_ID
            except (TypeError, ValueError):
                continue
            if too_big:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                      params={"value": str(pk)[:20]})
        return super()._check_values(value)

    def label_from_instance(self, obj) -> str:
        return getattr(obj, "display_name", None) or super().label_from_instance(obj)
