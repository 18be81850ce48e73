from django.urls import path

from .views import corrections, projects, usage

urlpatterns = [
    path("projects/", projects.project_list, name="projects"),
    path("projects/<int:pk>/", projects.project_detail, name="project-detail"),
    path("projects/<int:pk>/statements/<int:year>-<int:month>/", projects.statement_page, name="statement"),
    path("projects/<int:pk>/statements/<int:year>-<int:month>.csv", projects.statement_csv, name="statement-csv"),
    path("projects/<int:pk>/statements/<int:year>-<int:month>.pdf", projects.statement_pdf, name="statement-pdf"),
    path("reservations/<int:pk>/project/", projects.booking_project, name="booking-project"),
    path("billing/corrections/", corrections.correction_queue, name="corrections"),
    path("billing/usage/", usage.usage_report, name="billing-usage"),
    path("billing/finance/<int:year>-<int:month>.csv", projects.finance_export, name="finance-export"),
]
