"""Pages of the activities of service projects (R25): thin views over ``needs.activities``.

Public: a community's activity calendar (by date, phone first) and each activity's
page with a one-tap sign-up. Residents: "my sign-ups" and the door QR check-in.
Staff and the serving organisation's admins: a project's activities with the
publishing form, each activity's list with check-in buttons, and a printable door
sheet whose QR carries the activity's signed check-in link. A manager's page
answers 403 with the reason to people of the community, 404 to everyone else.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from councils import policies
from councils.models import Community
from yishi.errors import PermissionDenied
from yishi.qr import qr_svg
from yishi.views import attempt

from . import activities as acts
from .enums import SignupStatus
from .forms_activities import ActivityForm, BirthDateForm
from .models import Activity, ServiceProject, Signup

PAGE_SIZE = 20
S = SignupStatus


def form_invalid(request, form) -> None:
    """A form that failed its shape check, on a page that redirects: say what to fix."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}：{errors[0]}" if label else errors[0])
        return


def _community(request):
    slug = request.GET.get("community")
    if slug:
        return get_object_or_404(Community, slug=slug)
    residency = policies.current_residency(request.user)
    if residency is not None:
        return residency.group.community
    return Community.objects.order_by("pk").first()


def _activity(pk) -> Activity:
    return get_object_or_404(Activity.objects.select_related("project", "community"), pk=pk)


def _require_manager(request, project: ServiceProject) -> None:
    """403 with the reason for people of the project's community, 404 for everyone else."""
    if acts.may_manage(request.user, project):
        return
    user = request.user
    residency = policies.current_residency(user)
    belongs = (residency is not None and residency.group.community_id == project.community_id) or \
        policies.communities_in_scope(user).filter(pk=project.community_id).exists()
    if not belongs:
        raise Http404
    raise PermissionDenied(_("这个页面只对%(community)s的工作人员和承接“%(title)s”的组织负责人开放。")
                           % {"community": project.community.name, "title": project.title})


# --------------------------------------------------------------------------- public


def calendar(request):
    """社区活动日历: upcoming activities of a community, grouped by day, places left."""
    community = _community(request)
    if community is None:
        raise Http404
    page = Paginator(acts.calendar_of(community), PAGE_SIZE).get_page(request.GET.get("page"))
    mine = set()
    if request.user.is_authenticated:
        mine = set(Signup.objects.filter(resident=request.user, status=S.SIGNED_UP,
                                         activity__in=[a.pk for a in page.object_list])
                   .values_list("activity_id", flat=True))
    days = []
    for activity in page.object_list:
        activity.left = max(activity.capacity - activity.taken, 0)
        activity.mine = activity.pk in mine
        day = timezone.localtime(activity.starts_at).date()
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(activity)
    residency = policies.current_residency(request.user)
    return render(request, "needs/activities/calendar.html", {
        "community": community, "page": page, "days": days,
        "may_sign_up": residency is not None and residency.group.community_id == community.pk,
        "now": timezone.now(),
        "communities": Community.objects.order_by("name"),
    })


def detail(request, pk):
    activity = _activity(pk)
    user = request.user
    taken = acts.seats_taken(activity)
    signup = Signup.objects.filter(activity=activity, resident=user).first() if user.is_authenticated else None
    residency = policies.current_residency(user)
    now = timezone.now()
    return render(request, "needs/activities/detail.html", {
        "activity": activity, "taken": taken, "left": max(activity.capacity - taken, 0),
        "signup": signup if signup and signup.status == S.SIGNED_UP else None,
        "may_sign_up": residency is not None and residency.group.community_id == activity.community_id,
        "started": activity.starts_at <= now, "manager": acts.may_manage(user, activity),
    })


@login_required
@require_POST
def signup(request, pk):
    """One tap: sign me up."""
    activity = _activity(pk)
    attempt(request, lambda: acts.activity_signup(activity=activity, resident=request.user),
            success=_("报名成功。活动前一天会提醒您；到场后扫门口的二维码签到。"))
    return redirect("needs:activity", pk=activity.pk)


@login_required
@require_POST
def cancel(request, pk):
    the_signup = get_object_or_404(Signup.objects.select_related("activity__project__community", "resident"), pk=pk)
    if the_signup.resident_id != request.user.pk and not acts.may_manage(request.user, the_signup.activity):
        raise Http404
    attempt(request, lambda: acts.activity_cancel(signup=the_signup, actor=request.user),
            success=_("已取消报名，名额已让出。"))
    if the_signup.resident_id != request.user.pk:
        return redirect("needs:activity_roster", pk=the_signup.activity_id)
    if request.POST.get("next") == "mine":
        return redirect("needs:activities_mine")
    return redirect("needs:activity", pk=the_signup.activity_id)


@login_required
def mine(request):
    """我的报名: what I signed up for, upcoming first, with cancel and check-in state."""
    today = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    qs = (Signup.objects.filter(resident=request.user, status=S.SIGNED_UP)
          .select_related("activity__project", "activity__community")
          .order_by(ExpressionWrapper(Q(activity__ends_at__lt=today), output_field=BooleanField()).asc(),
                    "activity__starts_at", "pk"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "needs/activities/mine.html", {"page": page, "now": timezone.now()})


@login_required
def qr_checkin(request, token):
    """The door QR: GET shows one big button (a scan must not change anything by itself); POST checks in."""
    activity_id = acts.activity_from_token(token)
    activity = Activity.objects.select_related("project", "community").filter(pk=activity_id).first() \
        if activity_id else None
    if activity is None:
        raise Http404
    if request.method == "POST":
        if attempt(request, lambda: acts.activity_checkin_by_token(token=token, resident=request.user),
                   success=_("签到成功，欢迎参加！")):
            return redirect("needs:activity", pk=activity.pk)
    the_signup = Signup.objects.filter(activity=activity, resident=request.user).first()
    return render(request, "needs/activities/qr_checkin.html", {
        "activity": activity, "token": token, "signup": the_signup if the_signup and the_signup.active else None,
    })


# --------------------------------------------------------------------------- managers


@login_required
def project_activities(request, pk):
    """A project's activities for its managers: publish one, open each list."""
    project = get_object_or_404(ServiceProject.objects.select_related("community"), pk=pk)
    _require_manager(request, project)
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        made = {}

        def run():
            made["a"] = acts.activity_publish(
                project=project, actor=request.user, title=data["title"], starts_at=data["starts_at"],
                ends_at=data["ends_at"], place=data["place"], capacity=data["capacity"], min_age=data["min_age"],
                description=data["description"])

        if attempt(request, run, success=_("活动已发布，居民可以报名了。"), form=form):
            return redirect("needs:activity_roster", pk=made["a"].pk)
    qs = (Activity.objects.filter(project=project)
          .annotate(taken=Count("signups", filter=Q(signups__status=S.SIGNED_UP)),
                    checked=Count("signups", filter=Q(signups__checked_in_at__isnull=False)))
          .order_by("-starts_at", "-pk"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "needs/activities/project.html", {
        "project": project, "form": form, "page": page, "served": acts.people_served(project),
        "checkins": acts.checkins_of(project),
        "staff": policies.is_community_staff(request.user, project.community),
        "birth_form": BirthDateForm(),
    })


@login_required
def roster(request, pk):
    """报名名单: who signed up, check-in buttons, the door sheet link."""
    activity = _activity(pk)
    _require_manager(request, activity.project)
    qs = (Signup.objects.filter(activity=activity).select_related("resident")
          .order_by("-status", "resident__full_name", "pk"))  # signed up before cancelled
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    opens, closes = acts.checkin_window(activity)
    now = timezone.now()
    return render(request, "needs/activities/roster.html", {
        "activity": activity, "page": page, "taken": acts.seats_taken(activity),
        "checked": Signup.objects.filter(activity=activity, checked_in_at__isnull=False).count(),
        "window_open": opens <= now < closes, "opens": opens,
    })


@login_required
@require_POST
def checkin(request, pk):
    the_signup = get_object_or_404(Signup.objects.select_related("activity__project__community", "resident"), pk=pk)
    _require_manager(request, the_signup.activity.project)
    attempt(request, lambda: acts.activity_checkin(signup=the_signup, actor=request.user),
            success=_("%(name)s已签到。") % {"name": the_signup.resident.display_name})
    return redirect("needs:activity_roster", pk=the_signup.activity_id)


@login_required
def door_sheet(request, pk):
    """A4 door sheet: the activity and a QR of its signed check-in link."""
    activity = _activity(pk)
    _require_manager(request, activity.project)
    url = settings.SITE_URL + reverse("needs:activity_qr_checkin", args=[acts.checkin_token(activity)])
    return render(request, "needs/activities/door.html", {
        "activity": activity, "url": url, "qr": mark_safe(qr_svg(url)),  # our own signed URL, no user text
    })


@login_required
@require_POST
def birth_date(request, pk):
    """Staff record a resident's birth date (for activities with an age limit), from a project's page."""
    project = get_object_or_404(ServiceProject.objects.select_related("community"), pk=pk)
    if not policies.is_community_staff(request.user, project.community):
        _require_manager(request, project)
        raise PermissionDenied(_("只有社区工作人员可以登记居民的出生日期。"))
    form = BirthDateForm(request.POST)
    if form.is_valid():
        resident = form.cleaned_data["account"]
        attempt(request, lambda: acts.resident_birth_date_record(
            resident=resident, actor=request.user, birth_date=form.cleaned_data["birth_date"]),
            success=_("已登记%(name)s的出生日期。") % {"name": resident.display_name})
    else:
        form_invalid(request, form)
    return redirect("needs:project_activities", pk=project.pk)


def upcoming_for(project, limit=5):
    """For the project page: the next activities with places taken (one query)."""
    since = timezone.now() - timedelta(hours=2)
    return list(Activity.objects.filter(project=project, ends_at__gte=since)
                .annotate(taken=Count("signups", filter=Q(signups__status=S.SIGNED_UP)))
                .order_by("starts_at")[:limit])


def past_for(project, limit=3):
    """For the project page: the latest activities that ended, with their check-ins (one query)."""
    return list(Activity.objects.filter(project=project, ends_at__lt=timezone.now() - timedelta(hours=2))
                .annotate(taken=Count("signups", filter=Q(signups__status=S.SIGNED_UP)),
                          checked=Count("signups", filter=Q(signups__checked_in_at__isnull=False)))
                .order_by("-starts_at")[:limit])
