from django.urls import path

from . import views

urlpatterns = [path("agent/state/", views.agent_state, name="agent-state")]
