# Copyright: Reservoir developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - The address of the Reservoir installation, for example C(https://reservoir.example.org).
      - Taken from the E(RESERVOIR_URL) environment variable when not given.
    type: str
  api_token:
    description:
      - A personal API token (C(rsv_...)) or a Keycloak access token.
      - Taken from the E(RESERVOIR_TOKEN) environment variable when not given.
    type: str
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
"""
