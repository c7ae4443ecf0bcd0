"""Authentication: SMS codes, registration, password sign-in with lockout and TOTP,
sessions (cookie or bearer), API keys, and turning any of them into an `Actor`."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import orjson
import phonenumbers
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import errors
from sealhub.identity.events import JoinRequested
from sealhub.identity.models import (
    ApiKey,
    MemberRole,
    Membership,
    MemberStatus,
    MemberUnit,
    Organization,
    OrgStatus,
    OrgUnit,
    Role,
    Session,
    User,
)
from sealhub.identity.permissions import BUILTIN_ROLES
from sealhub.platform import audit, clock, events, ids
from sealhub.platform.actor import Actor, DataScope, SystemActor
from sealhub.platform.cache import hit
from sealhub.platform.db import aftercommit
from sealhub.platform.errors import RateLimited, Unauthenticated
from sealhub.platform.runtime import Runtime

_hasher = PasswordHasher()


def configure_hashing(time_cost: int, memory_kib: int) -> None:
    """Set Argon2id cost once per process (settings); existing hashes keep verifying."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    _DUMMY_HASH = _hasher.hash("dummy-password-1")


API_KEY_PREFIX = "shk_"
ACTOR_CACHE_SECONDS = 60.0
SMS_PURPOSES = ("register", "reset", "login")


# ---------------------------------------------------------------- phone and password


def normalize_phone(raw: str) -> str:
    """A mainland-China (or +country) mobile number in E.164 form, or InvalidPhone."""
    text = re.sub(r"[\s-]", "", raw or "")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise errors.InvalidPhone() from exc
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise errors.InvalidPhone()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_password(password: str) -> None:
    if (
        len(password) < 8
        or len(password) > 128
        or not re.search(r"[A-Za-z]", password)
        or not re.search(r"\d", password)
    ):
        raise errors.WeakPassword()


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def _verify_password(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# ---------------------------------------------------------------- SMS codes


async def send_sms_code(runtime: Runtime, phone: str, purpose: str, *, ip: str | None) -> int:
    """Send a one-time code; returns seconds until another may be sent."""
    phone = normalize_phone(phone)
    if purpose not in SMS_PURPOSES:
        raise errors.InvalidSmsCode()
    s = runtime.settings
    cache = runtime.cache
    gap = s.sms_resend_seconds
    if gap > 0 and not await cache.set(f"sms:gap:{phone}", b"1", gap, only_if_absent=True):
        raise errors.SmsTooSoon(retry_after=int((await cache.ttl(f"sms:gap:{phone}")) or 1))
    ok, retry = await hit(cache, f"sms:phone:{phone}", s.sms_per_phone_per_hour, timedelta(hours=1))
    if not ok:
        raise RateLimited(retry_after=int(retry))
    if ip:
        ok, retry = await hit(cache, f"sms:ip:{ip}", s.sms_per_ip_per_hour, timedelta(hours=1))
        if not ok:
            raise RateLimited(retry_after=int(retry))
    code = ids.digits(6)
    await cache.set(f"sms:code:{purpose}:{phone}", code.encode(), s.sms_code_ttl_seconds)
    await cache.delete(f"sms:fail:{purpose}:{phone}")
    await runtime.sms.send(phone, f"sms.{purpose}", {"code": code})
    return s.sms_resend_seconds


async def verify_sms_code(runtime: Runtime, phone: str, purpose: str, code: str) -> None:
    """Consume a code: single-use; five wrong guesses burn it."""
    key = f"sms:code:{purpose}:{phone}"
    stored = await runtime.cache.get(key)
    if stored is None or not code:
        raise errors.InvalidSmsCode()
    if stored.decode() != code.strip():
        fails = await runtime.cache.incr(f"sms:fail:{purpose}:{phone}", 3600)
        if fails >= 5:
            await runtime.cache.delete(key)
        raise errors.InvalidSmsCode()
    # pop, not delete: of two concurrent correct submissions only one wins
    if await runtime.cache.pop(key) is None:
        raise errors.InvalidSmsCode()


# ---------------------------------------------------------------- organisations


async def create_organization(
    session: AsyncSession, user: User, *, name: str, real_name: str, actor_ip: str | None = None
) -> tuple[Organization, Membership]:
    """A new tenant with its root unit, the built-in roles, and `user` as its admin."""
    org = Organization(name=name.strip(), code=await _new_org_code(session), created_by=user.id)
    session.add(org)
    await session.flush()
    root_id = ids.new_id()
    root = OrgUnit(
        id=root_id,
        org_id=org.id,
        parent_id=None,
        name=org.name,
        code=org.code,
        kind="company",
        path=f"/{root_id}/",
    )
    session.add(root)
    # no relationship() between tables: flush parents before children
    await session.flush()
    admin_role: Role | None = None
    for builtin in BUILTIN_ROLES:
        role = Role(
            org_id=org.id,
            name=builtin.zh,
            builtin_key=builtin.key,
            description=builtin.description,
            permissions=sorted(builtin.permissions),
            data_scope=builtin.scope.value,
            created_by=user.id,
            updated_by=user.id,
        )
        session.add(role)
        if builtin.key == "admin":
            admin_role = role
    member = Membership(
        org_id=org.id,
        user_id=user.id,
        real_name=real_name,
        status=MemberStatus.ACTIVE,
        primary_unit_id=root_id,
    )
    session.add(member)
    await session.flush()
    assert admin_role is not None
    session.add(MemberRole(membership_id=member.id, role_id=admin_role.id))
    session.add(MemberUnit(membership_id=member.id, unit_id=root_id))
    await session.flush()
    actor = Actor(user_id=user.id, org_id=org.id, name=real_name, ip=actor_ip)
    await audit.record(
        session,
        actor,
        "org.create",
        "organization",
        org.id,
        summary=audit.Summary(
            f"创建组织 {org.name}（{org.code}）", f"Created organisation {org.name} ({org.code})"
        ),
        after={"name": org.name, "code": org.code},
    )
    return org, member


async def _new_org_code(session: AsyncSession) -> str:
    for _ in range(20):
        code = "ORG" + ids.digits(6)
        exists = await session.scalar(select(Organization.id).where(Organization.code == code))
        if exists is None:
            return code
    raise RuntimeError("could not allocate an organisation code")


async def bootstrap_admin(
    session: AsyncSession, *, phone: str, password: str, real_name: str, org_name: str
) -> tuple[User, Organization]:
    """Operator path (CLI): a person and a new organisation they administer, no SMS."""
    phone = normalize_phone(phone)
    user = await session.scalar(select(User).where(User.phone == phone))
    if user is None:
        user = User(phone=phone, password_hash=hash_password(password))
        session.add(user)
        await session.flush()
    org, _ = await create_organization(session, user, name=org_name, real_name=real_name)
    user.last_org_id = org.id
    return user, org


# ---------------------------------------------------------------- registration


@dataclass(frozen=True)
class Registered:
    user: User
    organization: Organization
    membership: Membership


async def register(
    session: AsyncSession,
    runtime: Runtime,
    *,
    phone: str,
    code: str,
    password: str,
    real_name: str,
    org_code: str | None = None,
    create_org_name: str | None = None,
    ip: str | None = None,
) -> Registered:
    """Sign up by phone + SMS code; create an organisation or ask to join one."""
    phone = normalize_phone(phone)
    check_password(password)
    org: Organization | None = None
    if not create_org_name:
        org = await session.scalar(
            select(Organization).where(Organization.code == (org_code or "").strip().upper())
        )
        if org is None or org.status != OrgStatus.ACTIVE:
            raise errors.OrgCodeUnknown()
    await verify_sms_code(runtime, phone, "register", code)
    existing = await session.scalar(select(User).where(User.phone == phone))
    if existing is not None:
        raise errors.PhoneTaken()
    user = User(phone=phone, password_hash=await asyncio.to_thread(hash_password, password))
    session.add(user)
    await session.flush()
    if create_org_name:
        org, member = await create_organization(
            session, user, name=create_org_name, real_name=real_name, actor_ip=ip
        )
    else:
        assert org is not None
        member = await join_organization(session, user, org, real_name=real_name, ip=ip)
    user.last_org_id = org.id
    return Registered(user=user, organization=org, membership=member)


async def join_organization(
    session: AsyncSession, user: User, org: Organization, *, real_name: str, ip: str | None
) -> Membership:
    """A pending membership an admin approves later."""
    root = await session.scalar(
        select(OrgUnit).where(OrgUnit.org_id == org.id, OrgUnit.parent_id.is_(None))
    )
    employee = await session.scalar(
        select(Role).where(Role.org_id == org.id, Role.builtin_key == "employee")
    )
    member = Membership(
        org_id=org.id,
        user_id=user.id,
        real_name=real_name,
        status=MemberStatus.PENDING,
        primary_unit_id=root.id if root else None,
    )
    session.add(member)
    await session.flush()
    if employee is not None:
        session.add(MemberRole(membership_id=member.id, role_id=employee.id))
    if root is not None:
        session.add(MemberUnit(membership_id=member.id, unit_id=root.id))
    await audit.record(
        session,
        Actor(user_id=user.id, org_id=org.id, name=real_name, ip=ip),
        "member.join_request",
        "membership",
        member.id,
        summary=audit.Summary(f"{real_name} 申请加入组织", f"{real_name} asked to join"),
    )
    # admins see join requests live (bell) and may be notified by later channels
    await events.emit(
        session, JoinRequested(org_id=org.id, membership_id=member.id, real_name=real_name)
    )
    return member


# ---------------------------------------------------------------- sign-in and sessions


@dataclass(frozen=True)
class SignedIn:
    token: str
    session: Session
    user: User


async def login(
    session: AsyncSession,
    runtime: Runtime,
    *,
    phone: str,
    password: str,
    totp_code: str | None = None,
    ip: str | None = None,
    client: str | None = None,
) -> SignedIn:
    """Password sign-in with lockout after repeated failures and optional TOTP."""
    s = runtime.settings
    try:
        phone = normalize_phone(phone)
    except errors.InvalidPhone as exc:
        raise errors.BadCredentials() from exc
    if ip:
        ok, retry = await hit(
            runtime.cache, f"login:ip:{ip}", s.login_per_ip_per_minute, timedelta(minutes=1)
        )
        if not ok:
            raise RateLimited(retry_after=int(retry))
    user = await session.scalar(select(User).where(User.phone == phone))
    now = clock.now()
    if user is None:
        # equal timing for unknown phones
        await asyncio.to_thread(_verify_password, _DUMMY_HASH, password)
        raise errors.BadCredentials()
    if user.locked_until is not None and clock.aware(user.locked_until) > now:
        remaining = (clock.aware(user.locked_until) - now).total_seconds()
        raise errors.AccountLocked(retry_after=int(remaining) + 1)
    # Argon2 is deliberately slow: keep it off the event loop
    if not await asyncio.to_thread(_verify_password, user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= s.login_max_failures:
            user.locked_until = now + timedelta(seconds=s.lockout_seconds)
            user.failed_logins = 0
        # the failure count must survive the error reply
        await _commit_failure(runtime, user)
        raise errors.BadCredentials()
    if user.totp_enabled:
        if not totp_code:
            raise errors.TotpRequired()
        if not user.totp_secret or not _totp_ok(user.totp_secret, totp_code):
            raise errors.InvalidTotp()
        if not await runtime.cache.set(
            f"totp:used:{user.id}:{totp_code}", b"1", 90, only_if_absent=True
        ):
            raise errors.InvalidTotp()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    org_id = await _default_org(session, user)
    token, sess = await _open_session(session, runtime, user, org_id, ip=ip, client=client)
    if org_id is not None:
        await audit.record(
            session,
            Actor(
                user_id=user.id,
                org_id=org_id,
                name=await _name_in(session, user.id, org_id),
                ip=ip,
                client=client,
            ),
            "auth.login",
            "user",
            user.id,
            summary=audit.Summary("登录", "Signed in"),
        )
    return SignedIn(token=token, session=sess, user=user)


_DUMMY_HASH = _hasher.hash("dummy-password-1")


async def _commit_failure(runtime: Runtime, user: User) -> None:
    async with runtime.transaction() as other:
        await other.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=user.failed_logins, locked_until=user.locked_until)
        )


def _totp_ok(secret: str, code: str) -> bool:
    return bool(pyotp.TOTP(secret).verify(code.strip(), for_time=clock.now(), valid_window=1))


async def _default_org(session: AsyncSession, user: User) -> uuid.UUID | None:
    rows = (
        await session.execute(
            select(Membership.org_id).where(
                Membership.user_id == user.id,
                Membership.status == MemberStatus.ACTIVE,
                Membership.deleted_at.is_(None),
            )
        )
    ).scalars()
    active = list(rows)
    if user.last_org_id in active:
        return user.last_org_id
    return active[0] if active else None


async def _name_in(session: AsyncSession, user_id: uuid.UUID, org_id: uuid.UUID) -> str:
    name = await session.scalar(
        select(Membership.real_name).where(
            Membership.user_id == user_id, Membership.org_id == org_id
        )
    )
    return name or ""


async def _open_session(
    session: AsyncSession,
    runtime: Runtime,
    user: User,
    org_id: uuid.UUID | None,
    *,
    ip: str | None,
    client: str | None,
) -> tuple[str, Session]:
    token = ids.token(32)
    sess = Session(
        token_hash=runtime.envelope.mac(token.encode()),
        user_id=user.id,
        org_id=org_id,
        csrf_token=ids.token(24),
        expires_at=clock.now() + timedelta(seconds=runtime.settings.session_ttl_seconds),
        ip=ip,
        client=(client or "")[:255],
    )
    session.add(sess)
    await session.flush()
    return token, sess


async def logout(session: AsyncSession, runtime: Runtime, token: str) -> None:
    """End a session everywhere at once."""
    token_hash = runtime.envelope.mac(token.encode())
    await session.execute(
        update(Session)
        .where(Session.token_hash == token_hash, Session.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    await runtime.cache.delete(f"actor:{token_hash}")


async def switch_org(
    session: AsyncSession, runtime: Runtime, token: str, org_id: uuid.UUID
) -> None:
    """Make another of the person's organisations the current one for this session."""
    token_hash = runtime.envelope.mac(token.encode())
    sess = await session.scalar(select(Session).where(Session.token_hash == token_hash))
    if sess is None:
        raise Unauthenticated()
    member = await _active_membership(session, sess.user_id, org_id)
    if member is None:
        raise errors.MembershipInactive()
    sess.org_id = org_id
    user = await session.get(User, sess.user_id)
    if user is not None:
        user.last_org_id = org_id
    await runtime.cache.delete(f"actor:{token_hash}")


async def reset_password_with_code(
    session: AsyncSession, runtime: Runtime, *, phone: str, code: str, new_password: str
) -> None:
    """Forgot-password: set a new password with an SMS code; ends every session."""
    phone = normalize_phone(phone)
    check_password(new_password)
    await verify_sms_code(runtime, phone, "reset", code)
    user = await session.scalar(select(User).where(User.phone == phone))
    if user is None:
        raise errors.InvalidSmsCode()
    await set_password(session, runtime, user, new_password)


async def set_password(
    session: AsyncSession, runtime: Runtime, user: User, new_password: str
) -> None:
    user.password_hash = await asyncio.to_thread(hash_password, new_password)
    user.failed_logins = 0
    user.locked_until = None
    await revoke_sessions(session, runtime, user.id)


async def revoke_sessions(session: AsyncSession, runtime: Runtime, user_id: uuid.UUID) -> None:
    hashes = (
        await session.execute(
            select(Session.token_hash).where(
                Session.user_id == user_id, Session.revoked_at.is_(None)
            )
        )
    ).scalars()
    for token_hash in hashes:
        await runtime.cache.delete(f"actor:{token_hash}")
    await session.execute(
        update(Session)
        .where(Session.user_id == user_id, Session.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


# ---------------------------------------------------------------- TOTP


async def totp_setup(session: AsyncSession, user_id: uuid.UUID) -> tuple[str, str]:
    """A fresh secret and its otpauth:// URI; not active until confirmed."""
    user = await _user(session, user_id)
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_enabled = False
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.phone, issuer_name="SealHub")
    return secret, uri


async def totp_enable(session: AsyncSession, user_id: uuid.UUID, code: str) -> None:
    user = await _user(session, user_id)
    if not user.totp_secret or not _totp_ok(user.totp_secret, code):
        raise errors.InvalidTotp()
    user.totp_enabled = True


async def totp_disable(session: AsyncSession, user_id: uuid.UUID, code: str) -> None:
    user = await _user(session, user_id)
    if not user.totp_enabled or not user.totp_secret or not _totp_ok(user.totp_secret, code):
        raise errors.InvalidTotp()
    user.totp_enabled = False
    user.totp_secret = None


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    """The signed-in person."""
    return await _user(session, user_id)


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise Unauthenticated()
    return user


# ---------------------------------------------------------------- actors


async def _active_membership(
    session: AsyncSession, user_id: uuid.UUID, org_id: uuid.UUID
) -> Membership | None:
    return await session.scalar(
        select(Membership)
        .join(Organization, Organization.id == Membership.org_id)
        .where(
            Membership.user_id == user_id,
            Membership.org_id == org_id,
            Membership.status == MemberStatus.ACTIVE,
            Membership.deleted_at.is_(None),
            Organization.status == OrgStatus.ACTIVE,
        )
    )


async def build_actor(session: AsyncSession, user_id: uuid.UUID, org_id: uuid.UUID) -> Actor | None:
    """Permissions (union of roles), widest data scope, units and their subtree."""
    member = await _active_membership(session, user_id, org_id)
    if member is None:
        return None
    roles = (
        await session.execute(
            select(Role)
            .join(MemberRole, MemberRole.role_id == Role.id)
            .where(MemberRole.membership_id == member.id)
        )
    ).scalars()
    permissions: set[str] = set()
    scope = DataScope.SELF
    for role in roles:
        permissions.update(role.permissions)
        role_scope = DataScope(role.data_scope)
        if role_scope.rank > scope.rank:
            scope = role_scope
    unit_rows = (
        await session.execute(
            select(OrgUnit.id, OrgUnit.path)
            .join(MemberUnit, MemberUnit.unit_id == OrgUnit.id)
            .where(MemberUnit.membership_id == member.id)
        )
    ).all()
    unit_ids = {row.id for row in unit_rows}
    subtree: set[uuid.UUID] = set(unit_ids)
    for row in unit_rows:
        below = await session.execute(
            select(OrgUnit.id).where(OrgUnit.org_id == org_id, OrgUnit.path.startswith(row.path))
        )
        subtree.update(below.scalars())
    return Actor(
        user_id=user_id,
        org_id=org_id,
        name=member.real_name,
        permissions=frozenset(permissions),
        data_scope=scope,
        unit_ids=frozenset(unit_ids),
        subtree_unit_ids=frozenset(subtree),
    )


def _actor_to_bytes(actor: Actor, session_id: uuid.UUID | None, csrf: str) -> bytes:
    return orjson.dumps(
        {
            "user_id": str(actor.user_id),
            "org_id": str(actor.org_id),
            "name": actor.name,
            "permissions": sorted(actor.permissions),
            "data_scope": actor.data_scope.value,
            "unit_ids": [str(u) for u in actor.unit_ids],
            "subtree_unit_ids": [str(u) for u in actor.subtree_unit_ids],
            "session_id": str(session_id) if session_id else None,
            "csrf": csrf,
        }
    )


def _actor_from_bytes(raw: bytes) -> tuple[Actor, str]:
    data = orjson.loads(raw)
    actor = Actor(
        user_id=uuid.UUID(data["user_id"]),
        org_id=uuid.UUID(data["org_id"]),
        name=data["name"],
        permissions=frozenset(data["permissions"]),
        data_scope=DataScope(data["data_scope"]),
        unit_ids=frozenset(uuid.UUID(u) for u in data["unit_ids"]),
        subtree_unit_ids=frozenset(uuid.UUID(u) for u in data["subtree_unit_ids"]),
        session_id=uuid.UUID(data["session_id"]) if data["session_id"] else None,
    )
    return actor, str(data["csrf"])


# decoded actors by their cached bytes: the shared cache stays the source of truth (a changed
# entry is decoded anew), this only saves re-parsing the same bytes on every request
_DECODED: dict[bytes, tuple[Actor, str]] = {}
_DECODED_MAX = 4096


def _decoded_actor(raw: bytes) -> tuple[Actor, str]:
    hit = _DECODED.get(raw)
    if hit is None:
        if len(_DECODED) >= _DECODED_MAX:
            _DECODED.clear()
        hit = _DECODED[raw] = _actor_from_bytes(raw)
    return hit


@dataclass(frozen=True)
class Authenticated:
    actor: Actor | None  # None: signed in but no active organisation
    user_id: uuid.UUID
    csrf_token: str | None  # set for session tokens, None for API keys
    token_hash: str


async def authenticate(session: AsyncSession, runtime: Runtime, token: str) -> Authenticated:
    """Resolve a session token or API key; the resolved actor is cached briefly.

    Any change to roles or memberships calls `invalidate_org()` so the cache never
    outlives a permission change.
    """
    if token.startswith(API_KEY_PREFIX):
        return await _authenticate_api_key(session, runtime, token)
    token_hash = runtime.envelope.mac(token.encode())
    cached = await runtime.cache.get(f"actor:{token_hash}")
    if cached is not None:
        head, _, body = cached.partition(b"|")
        actor, csrf = _decoded_actor(body)
        epoch = await runtime.cache.get(f"authz:{actor.org_id}") or b"0"
        if head == epoch:
            return Authenticated(actor, actor.user_id, csrf, token_hash)
    sess = await session.scalar(select(Session).where(Session.token_hash == token_hash))
    now = clock.now()
    if sess is None or sess.revoked_at is not None or clock.aware(sess.expires_at) <= now:
        raise Unauthenticated()
    actor_or_none = None
    epoch = b"0"
    if sess.org_id is not None:
        # the version before the rows: a change committed meanwhile leaves this entry stale
        epoch = await runtime.cache.get(f"authz:{sess.org_id}") or b"0"
        actor_or_none = await build_actor(session, sess.user_id, sess.org_id)
    if actor_or_none is None:
        return Authenticated(None, sess.user_id, sess.csrf_token, token_hash)
    actor = Actor(**{**actor_or_none.__dict__, "session_id": sess.id})
    await runtime.cache.set(
        f"actor:{token_hash}",
        epoch + b"|" + _actor_to_bytes(actor, sess.id, sess.csrf_token),
        ACTOR_CACHE_SECONDS,
    )
    return Authenticated(actor, sess.user_id, sess.csrf_token, token_hash)


def invalidate_org(session: AsyncSession, runtime: Runtime, org_id: uuid.UUID) -> None:
    """Roles or memberships changed: every cached actor of the org is stale once this
    transaction commits (before it, a concurrent check would cache the old rows anew)."""
    aftercommit.call(session, lambda: runtime.cache.set(f"authz:{org_id}", ids.token(8).encode()))


async def _authenticate_api_key(
    session: AsyncSession, runtime: Runtime, token: str
) -> Authenticated:
    key_hash = runtime.envelope.mac(token.encode())
    key = await session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))
    now = clock.now()
    if (
        key is None
        or key.revoked_at is not None
        or (key.expires_at is not None and clock.aware(key.expires_at) <= now)
    ):
        raise Unauthenticated()
    creator = await build_actor(session, key.created_by, key.org_id)
    if creator is None:
        raise Unauthenticated()
    # a key never holds more than its creator holds today
    permissions = creator.permissions & frozenset(key.permissions)
    last = clock.aware(key.last_used_at) if key.last_used_at else None
    if last is None or now - last > timedelta(seconds=60):
        key.last_used_at = now
    actor = Actor(
        **{
            **creator.__dict__,
            "permissions": permissions,
            "api_key_id": key.id,
            "name": f"{creator.name} / {key.name}",
        }
    )
    return Authenticated(actor, key.created_by, None, key_hash)


async def memberships_of(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[Membership, Organization]]:
    rows = await session.execute(
        select(Membership, Organization)
        .join(Organization, Organization.id == Membership.org_id)
        .where(Membership.user_id == user_id, Membership.deleted_at.is_(None))
        .order_by(Membership.created_at)
    )
    return [(m, o) for m, o in rows.all()]


def system_actor(org_id: uuid.UUID | None = None) -> SystemActor:
    return SystemActor(org_id=org_id)
