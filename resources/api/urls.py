from rest_framework.routers import SimpleRouter

from .views import ResourceTypeViewSet, ResourceViewSet, SiteViewSet

router = SimpleRouter()
router.register("sites", SiteViewSet, basename="site")
router.register("resource-types", ResourceTypeViewSet, basename="resourcetype")
router.register("resources", ResourceViewSet, basename="resource")

urlpatterns = router.urls
