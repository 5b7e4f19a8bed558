"""The site's URL map."""

from django.urls import include, path

from lifebuoy.site.accounts.views import home_view
from lifebuoy.site.api.routes import api

urlpatterns = [
    path("", home_view, name="home"),
    path("accounts/", include("lifebuoy.site.accounts.urls")),
    path("admin-center/", include("lifebuoy.site.admincenter.urls")),
    path("console/sessions/", include("lifebuoy.site.support.history_urls")),
    path("console/", include("lifebuoy.site.console.urls")),
    path("support/", include("lifebuoy.site.support.urls")),
    path("api/v1/", api.urls),
]

handler400 = "lifebuoy.site.security.views.bad_request"
handler403 = "lifebuoy.site.security.views.permission_denied"
handler404 = "lifebuoy.site.security.views.not_found"
handler500 = "lifebuoy.site.security.views.server_error"
