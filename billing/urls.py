from django.urls import path

from . import views

urlpatterns = [
    path("projects/", views.project_list, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project-detail"),
    path("projects/<int:pk>/statements/<int:year>-<int:month>/", views.statement_page, name="statement"),
    path("projects/<int:pk>/statements/<int:year>-<int:month>.csv", views.statement_csv, name="statement-csv"),
    path("projects/<int:pk>/statements/<int:year>-<int:month>.pdf", views.statement_pdf, name="statement-pdf"),
    path("reservations/<int:pk>/project/", views.booking_project, name="booking-project"),
    path("billing/finance/<int:year>-<int:month>.csv", views.finance_export, name="finance-export"),
]
