"""The admin shows elections, candidates, counted rounds and the record, read-only.

The roll and the ballot papers are deliberately not here: the roll is shown to staff and
supervisors on its own page, and the papers are read only by the count. No admin page
puts a choice next to a person. Opening, nominating, voting and counting go through
``elections.services`` (the roll freezes, papers are secret, seats follow the count).
"""

from django.contrib import admin

from .models import Candidate, Election, ElectionEvent, ElectionRound


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Election)
class ElectionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "community", "seats", "uncontested", "status", "opens_at", "closes_at"]
    list_filter = ["status", "uncontested", "community"]
    list_select_related = ["community", "council", "board"]
    search_fields = ["council__name", "board__name", "community__name"]
    date_hierarchy = "opens_at"


@admin.register(Candidate)
class CandidateAdmin(ReadOnlyAdmin):
    list_display = ["user", "election", "result", "elected_round"]
    list_filter = ["result"]
    list_select_related = ["user", "election__council", "election__board"]
    search_fields = ["user__full_name", "user__username"]
    exclude = ["supporters"]


@admin.register(ElectionRound)
class ElectionRoundAdmin(ReadOnlyAdmin):
    list_display = ["election", "number", "seats", "roll_size", "ballots_cast", "valid", "closed_at"]
    list_filter = ["valid"]
    list_select_related = ["election__council", "election__board"]
    exclude = ["candidates"]


@admin.register(ElectionEvent)
class ElectionEventAdmin(ReadOnlyAdmin):
    list_display = ["election", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["election__council", "election__board", "actor"]
