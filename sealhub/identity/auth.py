"""Authentication: SMS codes, registration, throttled sign-in (password or SMS code, TOTP),
sessions (cookie or bearer), API keys, and turning any of them into an `Actor`."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import phonenumbers
import pyotp
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
from sealhub.identity.passwords import check_password as check_password
from sealhub.identity.passwords import configure_hashing as configure_hashing
from sealhub.identity.passwords import hash_async, verify_async
from sealhub.identity.passwords import hash_password as hash_password
from sealhub.identity.permissions import BUILTIN_ROLES
from sealhub.platform import audit, clock, events, ids, ratelimit
from sealhub.platform.actor import Actor, DataScope, SystemActor
from sealhub.platform.cache import hit
from sealhub.platform.db import aftercommit
from sealhub.platform.errors import RateLimited, Unauthenticated
from sealhub.platform.runtime import Runtime
from sealhub.platform.settings import Settings

API_KEY_PREFIX = "shk_"
ACTOR_CACHE_SECONDS = 60.0
SMS_PURPOSES = ("register", "reset", "login", "esign")


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
    session: AsyncSession,
    user: User,
    *,
    name: str,
    real_name: str,
    actor_ip: str | None = None,
    actor_client: str | None = None,
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
    actor = Actor(user_id=user.id, org_id=org.id, name=real_name, ip=actor_ip, client=actor_client)
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
    org, _ = await create_organization(
        session, user, name=org_name, real_name=real_name, actor_client="sealhub-cli"
    )
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
    client: str | None = None,
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
    user = User(phone=phone, password_hash=await hash_async(password))
    session.add(user)
    await session.flush()
    if create_org_name:
        org, member = await create_organization(
            session,
            user,
            name=create_org_name,
            real_name=real_name,
            actor_ip=ip,
            actor_client=client,
        )
    else:
        assert org is not None
        member = await join_organization(
            session, user, org, real_name=real_name, ip=ip, client=client
        )
    user.last_org_id = org.id
    return Registered(user=user, organization=org, membership=member)


async def join_organization(
    session: AsyncSession,
    user: User,
    org: Organization,
    *,
    real_name: str,
    ip: str | None,
    client: str | None = None,
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
        Actor(user_id=user.id, org_id=org.id, name=real_name, ip=ip, client=client),
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


@dataclass(frozen=True)
class _Credentials:
    """What a sign-in needs to know about an account before it touches anything else."""

    user_id: uuid.UUID
    password_hash: str
    totp_enabled: bool
    totp_secret: str | None


_CREDENTIALS = select(User.id, User.password_hash, User.totp_enabled, User.totp_secret)


def _account_backoff(s: Settings) -> ratelimit.Backoff:
    return ratelimit.Backoff(
        free=s.login_max_failures, first=s.login_delay_seconds, longest=s.lockout_seconds
    )


def _ip_backoff(s: Settings) -> ratelimit.Backoff:
    return ratelimit.Backoff(
        free=s.login_ip_max_failures, first=s.login_delay_seconds, longest=s.lockout_seconds
    )


@contextlib.asynccontextmanager
async def _own_transaction(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    """A unit of work queued like a request's (same gate), committed before the reply."""
    async with runtime.db.gate or contextlib.nullcontext(), runtime.transaction() as session:
        yield session


async def _credentials(runtime: Runtime, phone: str) -> _Credentials | None:
    # one short read; the connection goes back to the pool before the slow hash starts
    async with runtime.db.gate or contextlib.nullcontext(), runtime.db.read_sessions() as s:
        row = (await s.execute(_CREDENTIALS.where(User.phone == phone))).first()
    if row is None:
        return None
    return _Credentials(row.id, row.password_hash, row.totp_enabled, row.totp_secret)


async def _source_allowed(runtime: Runtime, ip: str | None) -> None:
    """Per-IP limits on every sign-in kind: a fixed rate, then delays after failures."""
    if not ip:
        return
    ok, retry = await hit(
        runtime.cache,
        f"login:ip:{ip}",
        runtime.settings.login_per_ip_per_minute,
        timedelta(minutes=1),
    )
    if not ok:
        raise RateLimited(retry_after=int(retry) or 1)
    await ratelimit.check(runtime.cache, f"login:ipfail:{ip}")


async def _hold(runtime: Runtime, exc: RateLimited) -> None:
    """Answer a refused attempt a little late: a client that retries at once (a script)
    then costs a few cheap replies a second instead of hundreds; no connection is held."""
    wait = min(runtime.settings.login_throttle_hold_seconds, exc.params.get("retry_after", 1))
    if wait > 0:
        # spread out: replies held together would all wake together and queue the others
        await asyncio.sleep(wait * random.uniform(0.5, 1.0))  # noqa: S311 (timing, not a secret)


async def _source_failed(runtime: Runtime, ip: str | None) -> None:
    if ip:
        await ratelimit.fail(runtime.cache, f"login:ipfail:{ip}", _ip_backoff(runtime.settings))


async def login(
    runtime: Runtime,
    *,
    phone: str,
    password: str,
    totp_code: str | None = None,
    ip: str | None = None,
    client: str | None = None,
) -> SignedIn:
    """Password sign-in (+ TOTP when enabled), throttled by source and by account.

    Holds no database connection while Argon2 runs and writes nothing when it fails:
    the count lives in the cache, so a storm of wrong passwords cannot drain the pool.
    Unknown phones are throttled and hashed exactly like known ones (no oracle).
    """
    try:
        phone = normalize_phone(phone)
    except errors.InvalidPhone as exc:
        raise errors.BadCredentials() from exc
    try:
        await _source_allowed(runtime, ip)
        # counted before the slow check, so parallel guesses cannot slip past the limit
        await ratelimit.admit(
            runtime.cache, f"login:acct:{phone}", _account_backoff(runtime.settings)
        )
    except RateLimited as exc:
        await _hold(runtime, exc)
        raise
    creds = await _credentials(runtime, phone)
    if not await verify_async(creds.password_hash if creds else None, password) or not creds:
        await _source_failed(runtime, ip)
        raise errors.BadCredentials()
    if creds.totp_enabled:
        if not totp_code:
            raise errors.TotpRequired()
        await _check_totp(runtime, creds.user_id, creds.totp_secret, totp_code, ip=ip)
    await ratelimit.reset(runtime.cache, f"login:acct:{phone}")
    async with _own_transaction(runtime) as session:
        return await start_session(session, runtime, creds.user_id, ip=ip, client=client)


async def login_with_code(
    runtime: Runtime,
    *,
    phone: str,
    code: str,
    totp_code: str | None = None,
    ip: str | None = None,
    client: str | None = None,
) -> SignedIn:
    """Sign in with an SMS code: the owner's way in while their password is being stormed.

    Not subject to the account's password delays (only the owner receives the code, and
    five wrong guesses burn it); an unknown phone answers exactly like a wrong code.
    """
    try:
        phone = normalize_phone(phone)
    except errors.InvalidPhone as exc:
        raise errors.InvalidSmsCode() from exc
    try:
        await _source_allowed(runtime, ip)
    except RateLimited as exc:
        await _hold(runtime, exc)
        raise
    try:
        await verify_sms_code(runtime, phone, "login", code)
    except errors.InvalidSmsCode:
        await _source_failed(runtime, ip)
        raise
    creds = await _credentials(runtime, phone)
    if creds is None:
        raise errors.InvalidSmsCode()
    if creds.totp_enabled:
        if not totp_code:
            raise errors.TotpRequired()
        await _check_totp(runtime, creds.user_id, creds.totp_secret, totp_code, ip=ip)
    async with _own_transaction(runtime) as session:
        return await start_session(session, runtime, creds.user_id, ip=ip, client=client)


async def _check_totp(
    runtime: Runtime,
    user_id: uuid.UUID,
    secret: str | None,
    code: str,
    *,
    ip: str | None,
    consume: bool = True,
) -> None:
    """One TOTP guess, delayed like passwords; a code signs in once."""
    key = f"totp:{user_id}"
    await ratelimit.admit(runtime.cache, key, _account_backoff(runtime.settings))
    if not secret or not _totp_ok(secret, code):
        await _source_failed(runtime, ip)
        raise errors.InvalidTotp()
    if consume and not await runtime.cache.set(
        f"totp:used:{user_id}:{code}", b"1", 90, only_if_absent=True
    ):
        raise errors.InvalidTotp()
    await ratelimit.reset(runtime.cache, key)


async def sign_in_failures(runtime: Runtime, phone: str) -> int:
    """Sign-in attempts counted against an account in the current window."""
    return await ratelimit.attempts(runtime.cache, f"login:acct:{normalize_phone(phone)}")


async def start_session(
    session: AsyncSession,
    runtime: Runtime,
    user_id: uuid.UUID,
    *,
    ip: str | None = None,
    client: str | None = None,
) -> SignedIn:
    """Open a session for a person whose credentials were just checked."""
    user = await session.get(User, user_id)
    if user is None:
        raise errors.BadCredentials()
    user.last_login_at = clock.now()
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
    session: AsyncSession,
    runtime: Runtime,
    token: str,
    org_id: uuid.UUID,
    *,
    ip: str | None = None,
    client: str | None = None,
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
    await audit.record(
        session,
        Actor(user_id=sess.user_id, org_id=org_id, name=member.real_name, ip=ip, client=client),
        "auth.switch_org",
        "user",
        sess.user_id,
        summary=audit.Summary("切换到本组织", "Switched to this organisation"),
    )


async def reset_password_with_code(
    session: AsyncSession,
    runtime: Runtime,
    *,
    phone: str,
    code: str,
    new_password: str,
    ip: str | None = None,
    client: str | None = None,
) -> None:
    """Forgot-password: set a new password with an SMS code; ends every session."""
    phone = normalize_phone(phone)
    check_password(new_password)
    await verify_sms_code(runtime, phone, "reset", code)
    user = await session.scalar(select(User).where(User.phone == phone))
    if user is None:
        raise errors.InvalidSmsCode()
    await set_password(session, runtime, user, new_password)
    # the owner may be locked out of password sign-in by someone else's guesses: a reset
    # proves ownership, so it lifts the delay
    await ratelimit.reset(runtime.cache, f"login:acct:{phone}")
    await _record_for_person(
        session,
        user.id,
        "auth.password_reset",
        audit.Summary("通过短信验证码重置密码", "Reset the password with an SMS code"),
        ip=ip,
        client=client,
    )


async def set_password(
    session: AsyncSession, runtime: Runtime, user: User, new_password: str
) -> None:
    user.password_hash = await hash_async(new_password)
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


async def _record_for_person(
    session: AsyncSession,
    user_id: uuid.UUID,
    action: str,
    summary: audit.Summary,
    *,
    ip: str | None,
    client: str | None,
) -> None:
    """An account-level change, recorded in the trail of every organisation it belongs to."""
    rows = await session.execute(
        select(Membership.org_id, Membership.real_name).where(
            Membership.user_id == user_id,
            Membership.status == MemberStatus.ACTIVE,
            Membership.deleted_at.is_(None),
        )
    )
    for org_id, real_name in rows.all():
        actor = Actor(user_id=user_id, org_id=org_id, name=real_name, ip=ip, client=client)
        await audit.record(session, actor, action, "user", user_id, summary=summary)


# ---------------------------------------------------------------- TOTP


async def totp_setup(
    session: AsyncSession, user_id: uuid.UUID, *, ip: str | None = None, client: str | None = None
) -> tuple[str, str]:
    """A fresh secret and its otpauth:// URI; not active until confirmed."""
    user = await _user(session, user_id)
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_enabled = False
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.phone, issuer_name="SealHub")
    await _record_for_person(
        session,
        user_id,
        "auth.totp_setup",
        audit.Summary("开始绑定动态验证码", "Started authenticator enrolment"),
        ip=ip,
        client=client,
    )
    return secret, uri


async def totp_enable(
    session: AsyncSession,
    runtime: Runtime,
    user_id: uuid.UUID,
    code: str,
    *,
    ip: str | None = None,
    client: str | None = None,
) -> None:
    """Turn the second factor on with a first code (guesses delayed like sign-ins)."""
    user = await _user(session, user_id)
    await _check_totp(runtime, user_id, user.totp_secret, code, ip=ip, consume=False)
    user.totp_enabled = True
    await _record_for_person(
        session,
        user_id,
        "auth.totp_enable",
        audit.Summary("启用动态验证码", "Enabled the authenticator"),
        ip=ip,
        client=client,
    )


async def totp_disable(
    session: AsyncSession,
    runtime: Runtime,
    user_id: uuid.UUID,
    code: str,
    *,
    ip: str | None = None,
    client: str | None = None,
) -> None:
    """Turn the second factor off with a current code (guesses delayed like sign-ins)."""
    user = await _user(session, user_id)
    if not user.totp_enabled:
        raise errors.InvalidTotp()
    await _check_totp(runtime, user_id, user.totp_secret, code, ip=ip, consume=False)
    user.totp_enabled = False
    user.totp_secret = None
    await _record_for_person(
        session,
        user_id,
        "auth.totp_disable",
        audit.Summary("停用动态验证码", "Disabled the authenticator"),
        ip=ip,
        client=client,
    )


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


# ---------------------------------------------------------------- confirming a person at a moment


async def send_confirmation_code(runtime: Runtime, user_id: uuid.UUID, *, ip: str | None) -> int:
    """Send the signed-in person an SMS code to confirm an act (意愿认证 at e-sealing)."""
    user = await _user_row(runtime, user_id)
    if user is None or not user.phone:
        raise errors.InvalidSmsCode()
    return await send_sms_code(runtime, user.phone, "esign", ip=ip)


async def confirm_person(
    runtime: Runtime, user_id: uuid.UUID, *, method: str, secret: str, ip: str | None
) -> None:
    """The person confirms, at this moment, with their password, an SMS code (purpose
    `esign`) or a TOTP code; throttled like sign-in. Raises the sign-in errors."""
    user = await _user_row(runtime, user_id)
    if user is None:
        raise errors.BadCredentials()
    if method == "password":
        try:
            await _source_allowed(runtime, ip)
            await ratelimit.admit(
                runtime.cache, f"login:acct:{user.phone}", _account_backoff(runtime.settings)
            )
        except RateLimited as exc:
            await _hold(runtime, exc)
            raise
        if not await verify_async(user.password_hash, secret):
            await _source_failed(runtime, ip)
            raise errors.BadCredentials()
        await ratelimit.reset(runtime.cache, f"login:acct:{user.phone}")
    elif method == "sms":
        await verify_sms_code(runtime, user.phone, "esign", secret)
    elif method == "totp":
        if not user.totp_enabled:
            raise errors.InvalidTotp()
        await _check_totp(runtime, user.id, user.totp_secret, secret, ip=ip)
    else:
        raise errors.BadCredentials()


_PERSON = select(User.id, User.phone, User.password_hash, User.totp_enabled, User.totp_secret)


async def _user_row(runtime: Runtime, user_id: uuid.UUID) -> Any:
    async with runtime.db.gate or contextlib.nullcontext(), runtime.db.read_sessions() as s:
        return (await s.execute(_PERSON.where(User.id == user_id))).first()
