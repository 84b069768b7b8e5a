"""URLs of the open data API: /api/ (what is published), /api/v1/ (django-ninja), bulk downloads.

Every API view is wrapped by ``open_data``: Django's ``ConditionalGetMiddleware``
(as a decorator) gives each JSON answer an ETag and answers ``If-None-Match``
with 304; a short public ``Cache-Control``; and ``Access-Control-Allow-Origin: *``
so a web page anywhere may read the data (GET only; no credentials, no new library).
"""

from functools import wraps

from django.middleware.http import ConditionalGetMiddleware
from django.urls import URLPattern, include, path
from django.utils.decorators import decorator_from_middleware
from django.utils.cache import patch_cache_control, patch_vary_headers

from . import bulk, views
from .api import api

conditional = decorator_from_middleware(ConditionalGetMiddleware)


def open_data(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = conditional(view)(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response["Access-Control-Expose-Headers"] = "ETag"
        if response.status_code in (200, 304) and not response.has_header("Cache-Control"):
            patch_cache_control(response, public=True, max_age=60)
        patch_vary_headers(response, ["Accept-Language"])
        return response

    wrapped.csrf_exempt = getattr(view, "csrf_exempt", False)
    return wrapped


def _wrapped(patterns):
    out = []
    for p in patterns:
        if isinstance(p, URLPattern):
            out.append(URLPattern(p.pattern, open_data(p.callback), p.default_args, p.name))
        else:
            out.append(p)
    return out


ninja_patterns, _app_name, namespace = api.urls
v1_patterns = [
    *_wrapped(ninja_patterns),
    path("bulk/<int:community>/<int:year>/<str:dataset>.<str:fmt>", open_data(bulk.download), name="bulk"),
]

urlpatterns = [
    path("api/", views.about, name="api_about"),
    path("api/v1/", include((v1_patterns, namespace), namespace=namespace)),
]
