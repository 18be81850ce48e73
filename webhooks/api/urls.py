from common.api.routers import Router

from .views import DeliveryViewSet, WebhookViewSet

router = Router()
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("webhook-deliveries", DeliveryViewSet, basename="webhook-delivery")
urlpatterns = router.urls
