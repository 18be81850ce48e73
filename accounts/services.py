"""Every write about people: profiles, memberships and roles, SSH keys, API tokens."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from audit import services as audit
from audit.models import Severity
from common.events import publish, snapshot
from common.exceptions import Conflict, PermissionDenied
from common.services import apply_changes, validated_save
from resources.selectors import visible_resources
from tenancy.access import forget_site_roles, is_global_admin, require_global_admin, require_site_admin
from tenancy.models import Membership, MembershipSource, Role

from . import ssh, tokens
from .models import ApiToken, CalendarFeed, Profile, SshKey

User = get_user_model()

USER_FIELDS = ("first_name", "last_name", "email")
PROFILE_FIELDS = ("time_zone", "email_notifications", "reminder_minutes")


def _require_self_or_global_admin(actor, user, action: str) -> None:
    if actor is not None and actor.pk != user.pk and not is_global_admin(actor):
        raise PermissionDenied(f"Only the user themself or a global administrator may {action}.")


def profile_for(user) -> Profile:
    """The user's profile, created on first use. Two first requests of one user may race here
    (every page of a new user reports the browser's zone): INSERT ... ON CONFLICT DO NOTHING
    waits for the other insert instead of failing, so both go on with the one row."""
    Profile.objects.bulk_create([Profile(user=user)], ignore_conflicts=True)
    return Profile.objects.get(user=user)


# --- Profile ----------------------------------------------------------------------------------


@transaction.atomic
def profile_update(*, actor, user, **changes) -> None:
    _require_self_or_global_admin(actor, user, "change this profile")
    profile_for(user)
    profile = Profile.objects.select_for_update().get(user=user)  # parallel edits apply one by one
    user_changes = {k: v for k, v in changes.items() if k not in PROFILE_FIELDS}
    profile_changes = {k: v for k, v in changes.items() if k in PROFILE_FIELDS}
    before = {**snapshot(user), **snapshot(profile)}
    changed = apply_changes(user, user_changes, allowed=USER_FIELDS)
    changed += apply_changes(profile, profile_changes, allowed=PROFILE_FIELDS)
    if not changed:
        return
    user.full_clean(exclude=["password", "username"])
    user.save(update_fields=[f for f in changed if f in USER_FIELDS] or None)
    validated_save(profile)
    publish(
        "user.updated",
        actor=actor,
        instance=user,
        site_id=None,
        before=before,
        after={**snapshot(user), **snapshot(profile)},
    )


# --- Roles ------------------------------------------------------------------------------------


def _sync_staff_flag(user) -> None:
    """Admin screens are for global and site administrators: keep is_staff derived from roles."""
    forget_site_roles()
    # Read from the database: callers may hold other, older copies of this user.
    superuser = User.objects.filter(pk=user.pk).values_list("is_superuser", flat=True).get()
    staff = superuser or Membership.objects.filter(user_id=user.pk, role=Role.ADMIN).exists()
    User.objects.filter(pk=user.pk).exclude(is_staff=staff).update(is_staff=staff)
    user.is_staff = staff


@transaction.atomic
def membership_set(*, actor, site, user, role: str = Role.MEMBER, source: str = MembershipSource.LOCAL) -> Membership:
    """Make `user` a member (or administrator) of `site`, or change their role there."""
    require_site_admin(actor, site.pk, "manage its members")
    if role not in Role.values:
        raise ValidationError({"role": f"Role must be one of: {', '.join(Role.values)}."})
    membership = Membership.objects.select_for_update().filter(site=site, user=user).first()
    if membership is None:
        membership = Membership(site=site, user=user, role=role, source=source)
        validated_save(membership)
        publish(
            "membership.created",
            actor=actor,
            instance=membership,
            site_id=site.pk,
            after=snapshot(membership),
            severity=Severity.WARNING,
        )
    elif membership.role != role or membership.source != source:
        before = snapshot(membership)
        membership.role, membership.source = role, source
        validated_save(membership)
        publish(
            "membership.updated",
            actor=actor,
            instance=membership,
            site_id=site.pk,
            before=before,
            after=snapshot(membership),
            severity=Severity.WARNING,
        )
    _sync_staff_flag(user)
    return membership


@transaction.atomic
def membership_remove(*, actor, membership: Membership) -> None:
    require_site_admin(actor, membership.site_id, "manage its members")
    publish(
        "membership.deleted",
        actor=actor,
        instance=membership,
        site_id=membership.site_id,
        before=snapshot(membership),
        severity=Severity.WARNING,
    )
    user = membership.user
    membership.delete()
    _sync_staff_flag(user)


@transaction.atomic
def user_set_global_admin(*, actor, user, is_admin: bool) -> None:
    require_global_admin(actor, "grant or remove global administration")
    if user.is_superuser == is_admin:
        return
    if actor is not None and actor.pk == user.pk:
        # Like deactivating oneself: it could leave nobody to undo it. Another administrator can.
        raise Conflict("You cannot remove your own global administration.")
    before = snapshot(user)
    user.is_superuser = is_admin
    user.save(update_fields=["is_superuser"])
    _sync_staff_flag(user)
    publish(
        "user.role_changed",
        actor=actor,
        instance=user,
        site_id=None,
        before=before,
        after=snapshot(user),
        severity=Severity.CRITICAL,
    )


@transaction.atomic
def user_set_active(*, actor, user, is_active: bool) -> None:
    require_global_admin(actor, "activate or deactivate users")
    if actor is not None and actor.pk == user.pk and not is_active:
        raise Conflict("You cannot deactivate yourself.")
    if user.is_active == is_active:
        return
    _set_active(actor=actor, user=user, is_active=is_active)


def _set_active(*, actor, user, is_active: bool, message: str = "") -> None:
    before = snapshot(user)
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    publish(
        "user.deactivated" if not is_active else "user.activated",
        actor=actor,
        instance=user,
        site_id=None,
        before=before,
        after=snapshot(user),
        severity=Severity.WARNING,
        message=message,
    )


# --- What the identity provider decides --------------------------------------------------------


def user_end_sessions(user) -> None:
    """Ends every browser session of an SSO user at once: Django checks each session against a
    hash of the password, and SSO users have only an unusable one, which is drawn anew here."""
    if user.has_usable_password():
        return  # a local password is the user's own; their sessions end by deactivation instead
    user.set_unusable_password()
    user.save(update_fields=["password"])


@transaction.atomic
def user_cut_off_by_provider(*, user, reason: str) -> None:
    """The provider no longer vouches for the user (disabled, removed, signed out for good):
    deactivated, sessions ended and personal API tokens revoked, in one transaction."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    user_end_sessions(user)
    tokens_revoked = ngettext("%(n)d API token revoked", "%(n)d API tokens revoked", revoked) % {"n": revoked}
    message = f"Deactivated: {reason}; sessions ended, {tokens_revoked}."
    _set_active(actor=None, user=user, is_active=False, message=message)


@transaction.atomic
def user_restored_by_provider(*, user) -> None:
    """A user the provider had cut off signs in again: the provider vouches for them once more."""
    message = "Reactivated: the identity provider let the user sign in again."
    _set_active(actor=None, user=user, is_active=True, message=message)


def teams_set(*, user, names: set[str]) -> None:
    """The user's teams from the identity provider: groups named under OIDC_TEAM_GROUP_PREFIX are
    the provider's to grant and take away; other groups (set by hand) are kept."""
    from django.conf import settings
    from django.contrib.auth.models import Group

    prefix = "/" + settings.OIDC_TEAM_GROUP_PREFIX.strip("/") + "/"
    current = {g.name: g for g in user.groups.filter(name__startswith=prefix)}
    gone = [g for name, g in current.items() if name not in names]
    added = [Group.objects.get_or_create(name=name)[0] for name in sorted(names - set(current))]
    if not gone and not added:
        return
    before = sorted(current)
    user.groups.remove(*gone)
    user.groups.add(*added)
    audit.record(
        action="user.teams_changed",
        instance=user,
        changes={"teams": {"before": before, "after": sorted(names)}},
        message="Teams from the identity provider.",
    )


# --- SSH keys ---------------------------------------------------------------------------------


@transaction.atomic
def ssh_key_add(*, actor, user, public_key: str, label: str = "") -> SshKey:
    _require_self_or_global_admin(actor, user, "add SSH keys to this account")
    try:
        parsed = ssh.parse_public_key(public_key)
    except ValidationError as exc:
        raise ValidationError({"public_key": exc.messages}) from exc
    if SshKey.objects.filter(fingerprint=parsed.fingerprint).exists():
        raise ValidationError({"public_key": f"This key ({parsed.fingerprint}) is already registered."})
    key = SshKey(
        user=user,
        label=(label or parsed.comment or parsed.key_type)[:100],
        key_type=parsed.key_type,
        bits=parsed.bits,
        public_key=parsed.public_key,
        fingerprint=parsed.fingerprint,
    )
    validated_save(key)
    publish("ssh_key.created", actor=actor, instance=key, site_id=None, after=snapshot(key))
    return key


@transaction.atomic
def ssh_key_delete(*, actor, key: SshKey) -> None:
    _require_self_or_global_admin(actor, key.user, "remove SSH keys of this account")
    publish("ssh_key.deleted", actor=actor, instance=key, site_id=None, before=snapshot(key))
    key.delete()


# --- API tokens -------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, actor, user, name: str, expires_at: datetime.datetime | None = None) -> tuple[ApiToken, str]:
    """Returns the token and its secret; the secret is never stored and cannot be shown again."""
    _require_self_or_global_admin(actor, user, "create API tokens for this account")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    secret = tokens.generate()
    token = ApiToken(user=user, name=name, prefix=secret[:10], digest=tokens.digest(secret), expires_at=expires_at)
    validated_save(token)
    publish("api_token.created", actor=actor, instance=token, site_id=None, after=snapshot(token))
    return token, secret


def _revoke(*, actor, credential, action: str, what: str) -> None:
    """API tokens and calendar links alike: marked revoked (the record stays), audited, once."""
    _require_self_or_global_admin(actor, credential.user, f"revoke this {what}")
    if credential.revoked_at is not None:
        return
    before = snapshot(credential)
    credential.revoked_at = timezone.now()
    credential.save(update_fields=["revoked_at"])
    publish(action, actor=actor, instance=credential, site_id=None, before=before, after=snapshot(credential))


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> None:
    _revoke(actor=actor, credential=token, action="api_token.revoked", what="token")


# --- Calendar feed links ---------------------------------------------------------------------

FEED_USE_RESOLUTION = datetime.timedelta(minutes=5)


def _lock_user(user) -> None:
    # Serialises link changes per user: "revoke the live link, make a new one" must not race.
    User.objects.select_for_update().filter(pk=user.pk).first()


@transaction.atomic
def calendar_feed_create(*, actor, user, resource=None) -> tuple[CalendarFeed, str]:
    """A new secret link for the user's own bookings (no resource) or one resource's calendar;
    the feed's previous link stops working. Returns the link and its secret, shown this once."""
    _require_self_or_global_admin(actor, user, "make calendar links for this account")
    if resource is not None and not visible_resources(user=user).filter(pk=resource.pk).exists():
        raise PermissionDenied("This resource is not visible to the link's owner.")
    _lock_user(user)
    now = timezone.now()
    CalendarFeed.objects.filter(user=user, resource=resource, legacy=False, revoked_at=None).update(revoked_at=now)
    secret = tokens.generate(tokens.FEED_PREFIX)
    feed = CalendarFeed(user=user, resource=resource, prefix=secret[:10], digest=tokens.digest(secret))
    validated_save(feed)
    publish("calendar_feed.created", actor=actor, instance=feed, site_id=None, after=snapshot(feed))
    return feed, secret


@transaction.atomic
def calendar_feed_revoke(*, actor, feed: CalendarFeed) -> None:
    _revoke(actor=actor, credential=feed, action="calendar_feed.revoked", what="calendar link")


@transaction.atomic
def calendar_feeds_reset(*, actor, user) -> tuple[CalendarFeed, str]:
    """Every calendar link of the user stops working (a leak); a new link for their own bookings."""
    _require_self_or_global_admin(actor, user, "reset calendar links of this account")
    _lock_user(user)
    for feed in CalendarFeed.objects.filter(user=user, revoked_at=None):
        calendar_feed_revoke(actor=actor, feed=feed)
    return calendar_feed_create(actor=actor, user=user)


def calendar_feed_open(secret: str) -> CalendarFeed | None:
    """The live link behind a secret, with its (active) user; notes its use every few minutes."""
    feed = (
        CalendarFeed.objects.select_related("user", "resource")
        .filter(digest=tokens.digest(secret), revoked_at=None, user__is_active=True)
        .first()
    )
    if feed is not None:
        now = timezone.now()
        if feed.last_used_at is None or now - feed.last_used_at > FEED_USE_RESOLUTION:
            CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed
