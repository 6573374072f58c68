import floor_views
from django.urls import include, path

urlpatterns = [
    path("bench/ping/", floor_views.ping),
    path("bench/floor/<int:db>/", floor_views.floor_page),
    path("bench/rows/<int:db>/<str:token>/", floor_views.rows_page),
    path("", include("dashboard.urls")),
]
