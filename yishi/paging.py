"""Pages of a list whose page number travels in its own query parameter, so that one page can
show several paginated lists (``templates/portal/_pager_named.html`` draws the links)."""

from django.core.paginator import Page, Paginator


def named_page(queryset, per_page: int, request, name: str) -> Page:
    """The page ``request.GET[name]`` (the first for anything else) of ``queryset``; the template's
    links keep every other parameter of the request."""
    page = Paginator(queryset, per_page).get_page(request.GET.get(name))
    page.param = name
    page.prev_query = {name: page.previous_page_number()} if page.has_previous() else {}
    page.next_query = {name: page.next_page_number()} if page.has_next() else {}
    return page
