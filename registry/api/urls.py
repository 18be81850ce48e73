from rest_framework.routers import SimpleRouter

from .views import AllocationViewSet, ConflictViewSet, TemplateViewSet

router = SimpleRouter()
# Conflicts first: otherwise "conflicts" would be read as an allocation id.
router.register("system-resources/conflicts", ConflictViewSet, basename="allocation-conflict")
router.register("system-resources/templates", TemplateViewSet, basename="allocation-template")
router.register("system-resources", AllocationViewSet, basename="allocation")
urlpatterns = router.urls
