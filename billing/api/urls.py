from django.urls import path

from common.api.routers import Router

from . import views

router = Router()
router.register("projects", views.ProjectViewSet, basename="project")
router.register("project-members", views.MemberViewSet, basename="project-member")
router.register("budgets", views.BudgetViewSet, basename="budget")
router.register("rates", views.RateViewSet, basename="rate")
router.register("charges", views.ChargeViewSet, basename="charge")
router.register("adjustments", views.AdjustmentViewSet, basename="adjustment")
urlpatterns = [
    path("reservations/<int:pk>/project/", views.reservation_project, name="reservation-project"),
    *router.urls,
]
