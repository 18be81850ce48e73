"""Parsing and fingerprinting OpenSSH public keys (with `cryptography`, not by hand)."""

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_ssh_public_key
from django.core.exceptions import ValidationError

MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class ParsedKey:
    key_type: str
    bits: int
    public_key: str  # "type base64 [comment]", normalized whitespace
    fingerprint: str  # "SHA256:..." as ssh-keygen -l prints it
    comment: str


def parse_public_key(text: str) -> ParsedKey:
    parts = (text or "").strip().split(None, 2)
    if len(parts) < 2:
        raise ValidationError("Paste one OpenSSH public key: 'ssh-ed25519 AAAA... comment'.", code="invalid_key")
    key_type, data = parts[0], parts[1]
    comment = parts[2].strip() if len(parts) > 2 else ""
    try:
        key = load_ssh_public_key(f"{key_type} {data}".encode())
        blob = base64.b64decode(data, validate=True)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValidationError("This is not a valid OpenSSH public key.", code="invalid_key") from exc
    if isinstance(key, ed25519.Ed25519PublicKey):
        bits = 256
    elif isinstance(key, ec.EllipticCurvePublicKey):
        bits = key.curve.key_size
    elif isinstance(key, rsa.RSAPublicKey):
        bits = key.key_size
        if bits < MIN_RSA_BITS:
            raise ValidationError(f"RSA keys need at least {MIN_RSA_BITS} bits; this one has {bits}.", code="weak_key")
    else:
        raise ValidationError("Only ed25519, ecdsa and rsa keys are accepted.", code="unsupported_key")
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    normalized = f"{key_type} {data}" + (f" {comment}" if comment else "")
    return ParsedKey(
        key_type=key_type, bits=bits, public_key=normalized, fingerprint=f"SHA256:{digest}", comment=comment
    )
