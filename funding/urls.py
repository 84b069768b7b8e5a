from django.urls import path

from . import views
from .views import evaluation as evaluation_views

app_name = "funding"
urlpatterns = [
    # Street office: budget review (R8), release (R10), funds and ledgers (R15), reports.
    path("street/reviews/", views.review_queue, name="review_queue"),
    path("street/reviews/<int:pk>/approve/", views.budget_approve, name="budget_approve"),
    path("street/reviews/<int:pk>/return/", views.budget_return, name="budget_return"),
    path("street/proposals/<int:pk>/release/", views.release, name="release"),
    path("street/funds/", views.funds, name="funds"),
    path("street/funds/new/", views.fund_create, name="fund_create"),
    path("street/funds/<int:pk>/", views.fund_detail, name="fund_detail"),
    path("street/funds/<int:pk>/inflow/", views.fund_inflow, name="fund_inflow"),
    path("street/funds/<int:pk>/correct/", views.fund_correct, name="fund_correct"),
    path("street/funds/<int:pk>/ledger.<str:fmt>", views.ledger_export, name="ledger_export"),
    path("street/accounts.<str:fmt>", views.accounts_export, name="accounts_export"),
    path("street/charts/", views.charts, name="charts"),
    # The group council's money book of one proposal (R9, R12, R13).
    path("proposals/<int:pk>/money/", views.proposal_money, name="proposal_money"),
    path("proposals/<int:pk>/money/contributions/", views.contribution_add, name="contribution_add"),
    path("proposals/<int:pk>/money/contributions/<int:contribution_pk>/reverse/", views.contribution_reverse,
         name="contribution_reverse"),
    path("proposals/<int:pk>/money/bids/", views.bid_add, name="bid_add"),
    path("proposals/<int:pk>/money/bids/select/", views.bid_choose, name="bid_select"),
    path("proposals/<int:pk>/money/acceptance/", views.acceptance_add, name="acceptance_add"),
    path("proposals/<int:pk>/money/settlement/", views.settlement_add, name="settlement_add"),
    path("proposals/<int:pk>/money/refunds/<int:refund_pk>/paid/", views.refund_paid, name="refund_paid"),
    # Community foundations (R21): public pages, then staff and the foundation's managers.
    path("foundations/", views.foundation_list, name="foundations"),
    path("foundations/<int:pk>/", views.foundation_page, name="foundation"),
    path("foundations/<int:pk>/donations/<int:no>/", views.donation_public, name="donation_public"),
    path("foundations/<int:pk>/accounts/<int:year>-<int:month>/", views.monthly_accounts, name="monthly_accounts"),
    path("foundations/<int:pk>/manage/", views.donations_manage, name="donations_manage"),
    path("foundations/<int:pk>/manage/donations/", views.donation_add, name="donation_add"),
    path("foundations/<int:pk>/manage/settings/", views.foundation_settings, name="foundation_settings"),
    path("foundations/<int:pk>/manage/donations/<int:no>/receipt/", views.donation_receipt, name="donation_receipt"),
    path("foundations/<int:pk>/manage/donations/<int:no>/reverse/", views.donation_reverse,
         name="donation_reverse"),
    # Open tenders (R24): public list and pages; bids, residents' votes, the panel's choice.
    path("tenders/", views.tender_list, name="tenders"),
    path("tenders/new/<str:kind>/<int:pk>/", views.tender_publish, name="tender_publish"),
    path("tenders/<int:pk>/", views.tender_detail, name="tender"),
    path("tenders/<int:pk>/bid/", views.tender_bid, name="tender_bid"),
    path("tenders/<int:pk>/ballot/", views.tender_ballot, name="tender_ballot"),
    path("tenders/<int:pk>/vote/", views.tender_vote, name="tender_vote"),
    path("tenders/<int:pk>/select/", views.tender_select, name="tender_select"),
    # Supervision (R11, R14).
    path("supervision/", views.supervision, name="supervision"),
    path("supervision/history/", views.history_check, name="history_check"),
    path("supervision/history/run/", views.history_run_request, name="history_run"),
    path("supervision/proposals/<int:pk>/", views.supervision_detail, name="supervision_detail"),
    path("supervision/proposals/<int:pk>/opinions/", views.opinion_add, name="opinion_add"),
    path("supervision/proposals/<int:pk>/holds/", views.hold_add, name="hold_place"),
    path("supervision/proposals/<int:pk>/holds/<int:hold_pk>/lift/", views.hold_lift, name="hold_lift"),
    # Public: the signed checkpoints of the history chains, for anyone to keep (R14).
    path("history/checkpoints/", views.checkpoint_list, name="checkpoints"),
    path("history/checkpoints.json", views.checkpoint_list_json, name="checkpoints_json"),
    # Performance evaluation (R26): evaluators' workbench, appointments, the subdistrict report.
    path("evaluation/", evaluation_views.workbench, name="evaluations"),
    path("evaluation/<str:kind>/<int:pk>/new/", evaluation_views.evaluation_add, name="evaluation_add"),
    path("evaluation/appointments/", evaluation_views.appoint, name="evaluator_appoint"),
    path("evaluation/appointments/<int:pk>/end/", evaluation_views.appointment_end, name="evaluator_end"),
    path("evaluation/report/", evaluation_views.report_page, name="evaluation_report"),
    path("evaluation/report.csv", evaluation_views.report_export, name="evaluation_report_csv"),
]
