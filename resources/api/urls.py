from common.api.routers import Router

from .views import ResourceTypeViewSet, ResourceViewSet, SiteViewSet

router = Router()
router.register("sites", SiteViewSet, basename="site")
router.register("resource-types", ResourceTypeViewSet, basename="resourcetype")
router.register("resources", ResourceViewSet, basename="resource")

urlpatterns = router.urls
