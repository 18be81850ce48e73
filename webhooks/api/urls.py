from rest_framework.routers import SimpleRouter

from .views import DeliveryViewSet, WebhookViewSet

router = SimpleRouter()
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("webhook-deliveries", DeliveryViewSet, basename="webhook-delivery")
urlpatterns = router.urls
