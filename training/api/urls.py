from common.api.routers import Router

from . import views

router = Router()
router.register("training/requirements", views.RequirementViewSet, basename="training-requirement")
router.register("training/trainers", views.TrainerViewSet, basename="training-trainer")
router.register("training/qualifications", views.QualificationViewSet, basename="qualification")
router.register("training/requests", views.TrainingRequestViewSet, basename="training-request")
urlpatterns = router.urls
