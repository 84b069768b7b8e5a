from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from councils import urls as councils_urls
from proposals.views import staff as staff_workbench
from yishi import health

admin.site.site_header = "议事 Yishi"
admin.site.site_title = "议事 Yishi"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.live, name="healthz_live"),
    path("healthz/ready", health.ready, name="healthz_ready"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("portal.urls")),
    # One "councils" namespace for every community-staff page: residents and seats from councils,
    # the workbench that shows ballots and notices from proposals (councils imports nothing from it).
    path("", include((councils_urls.urlpatterns + staff_workbench.urlpatterns, "councils"))),
    path("", include("proposals.urls")),
    path("", include("funding.urls")),
    path("", include("notifications.urls")),
    path("", include("elections.urls")),
    path("", include("needs.urls")),
    path("", include("organisations.urls")),
    path("", include("grants.urls")),
    path("", include("photos.urls")),
    path("", include("api.urls")),
]

if settings.YISHI_BENCH:  # scripts/bench.sh: the trivial view every page is measured against
    from yishi.bench import trivial

    urlpatterns.append(path("bench/trivial", trivial, name="bench_trivial"))
