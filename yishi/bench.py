"""The benchmark's ceiling: a Django view that does nothing, served only when ``YISHI_BENCH=1``.

It passes through the whole middleware stack (sessions, CSRF, CSP, locale) but
touches neither the database nor a template, so every page's req/s in
``scripts/bench.sh`` is read as a percentage of it (the same server, the same run).
"""

from django.http import HttpResponse


def trivial(request):
    return HttpResponse(b"ok", content_type="text/plain")
