from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.response import Response

from ..authentication import IsMachine, MachineAuthentication
from ..selectors import machine_state


class HolderSerializer(serializers.Serializer):
    booking = serializers.IntegerField()
    resource = serializers.CharField(help_text="The booked resource: this machine, a whole it is part of, or a part.")
    username = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    keys = serializers.ListField(child=serializers.CharField(), help_text="The holder's public SSH keys.")


class MachineStateSerializer(serializers.Serializer):
    resource = serializers.CharField()
    now = serializers.DateTimeField()
    holders = HolderSerializer(many=True, help_text="Confirmed bookings from now to a day ahead.")


@extend_schema(responses={200: MachineStateSerializer}, tags=["agent"])
@api_view(["GET"])
@authentication_classes([MachineAuthentication])
@permission_classes([IsMachine])
def agent_state(request):
    """For the agent on a machine: who holds it now and in the next day, with their SSH keys."""
    return Response(machine_state(request.auth.resource))
