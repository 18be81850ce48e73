from rest_framework.routers import DefaultRouter

from .views import ResourceTypeViewSet, ResourceViewSet, SiteViewSet

router = DefaultRouter()
router.register("sites", SiteViewSet, basename="site")
router.register("resource-types", ResourceTypeViewSet, basename="resourcetype")
router.register("resources", ResourceViewSet, basename="resource")

urlpatterns = router.urls
