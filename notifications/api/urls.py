from common.api.routers import Router

from .views import NotificationViewSet

router = Router()
router.register("notifications", NotificationViewSet, basename="notification")
urlpatterns = router.urls
