from common.api.routers import Router

from .views import AuditEntryViewSet

router = Router()
router.register("audit-log", AuditEntryViewSet, basename="audit-entry")

urlpatterns = router.urls
