from common.api.routers import Router

from .views import AllocationViewSet, ConflictViewSet, TemplateViewSet

router = Router()
# Conflicts first: otherwise "conflicts" would be read as an allocation id.
router.register("system-resources/conflicts", ConflictViewSet, basename="allocation-conflict")
router.register("system-resources/templates", TemplateViewSet, basename="allocation-template")
router.register("system-resources", AllocationViewSet, basename="allocation")
urlpatterns = router.urls
