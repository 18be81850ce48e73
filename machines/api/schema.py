from drf_spectacular.extensions import OpenApiAuthenticationExtension


class MachineAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "machines.authentication.MachineAuthentication"
    name = "machineAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Machine rsm_...`: the token of one machine's agent (given in the admin).",
        }
