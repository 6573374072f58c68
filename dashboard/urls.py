from django.urls import include, path

urlpatterns = [
    path("", include("keyspace.urls")),
]
