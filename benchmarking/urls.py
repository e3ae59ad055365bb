app_name = "benchmarking"

urlpatterns = []
