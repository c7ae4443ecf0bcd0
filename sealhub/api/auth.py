"""Sign-up, sign-in, sessions and the current person (`/api/v1/auth`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request, Response

from sealhub.api.common import api_router
from sealhub.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Auth,
    Db,
    RuntimeDep,
    bearer_or_cookie,
    client_ip,
)
from sealhub.identity import schemas
from sealhub.identity import service as identity
from sealhub.platform.errors import Unauthenticated
from sealhub.platform.runtime import Runtime

router = api_router("/auth", tags=["auth"])


def _set_cookies(
    response: Response, runtime: Runtime, token: str, csrf: str, expires: datetime
) -> None:
    secure = runtime.settings.cookie_secure
    max_age = runtime.settings.session_ttl_seconds
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    # readable by the console's script, sent back as X-CSRF-Token (double submit)
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, secure=secure, samesite="lax", path="/"
    )


@router.post("/sms-codes", status_code=202, response_model=schemas.SmsCodeOut)
async def send_sms_code(
    body: schemas.SmsCodeIn, request: Request, runtime: RuntimeDep
) -> schemas.SmsCodeOut:
    """Send a one-time code for registration or password reset."""
    wait = await identity.send_sms_code(runtime, body.phone, body.purpose, ip=client_ip(request))
    return schemas.SmsCodeOut(resend_after=wait)


@router.post("/register", status_code=201, response_model=schemas.RegisterOut)
async def register(
    body: schemas.RegisterIn,
    request: Request,
    response: Response,
    session: Db,
    runtime: RuntimeDep,
) -> schemas.RegisterOut:
    """Register with phone + SMS code; create an organisation or ask to join one."""
    done = await identity.register(
        session,
        runtime,
        phone=body.phone,
        code=body.code,
        password=body.password,
        real_name=body.real_name,
        org_code=body.org_code,
        create_org_name=body.create_org.name if body.create_org else None,
        ip=client_ip(request),
        client=_client(request),
    )
    out = schemas.RegisterOut(
        status=done.membership.status,
        organization=schemas.OrgBrief.model_validate(done.organization),
    )
    if done.membership.status == "active":
        # the password was just set: open the session in the same transaction
        signed = await identity.start_session(
            session, runtime, done.user.id, ip=client_ip(request), client=_client(request)
        )
        _set_cookies(
            response, runtime, signed.token, signed.session.csrf_token, signed.session.expires_at
        )
        out.token = signed.token
        out.csrf_token = signed.session.csrf_token
    return out


def _client(request: Request) -> str:
    return request.headers.get("user-agent", "")[:255]


# no `Db` here: sign-in opens its own short transactions so that no connection is held
# while a password hash runs or while a throttled attempt is refused
@router.post("/login", response_model=schemas.LoginOut)
async def login(
    body: schemas.LoginIn, request: Request, response: Response, runtime: RuntimeDep
) -> schemas.LoginOut:
    """Sign in with phone + password (+ TOTP when enabled)."""
    signed = await identity.login(
        runtime,
        phone=body.phone,
        password=body.password,
        totp_code=body.totp_code,
        ip=client_ip(request),
        client=_client(request),
    )
    return _signed_in(response, runtime, signed)


@router.post("/login/sms", response_model=schemas.LoginOut)
async def login_sms(
    body: schemas.SmsLoginIn, request: Request, response: Response, runtime: RuntimeDep
) -> schemas.LoginOut:
    """Sign in with phone + SMS code (purpose `login`), even while password sign-in waits."""
    signed = await identity.login_with_code(
        runtime,
        phone=body.phone,
        code=body.code,
        totp_code=body.totp_code,
        ip=client_ip(request),
        client=_client(request),
    )
    return _signed_in(response, runtime, signed)


def _signed_in(response: Response, runtime: Runtime, signed: identity.SignedIn) -> schemas.LoginOut:
    _set_cookies(
        response, runtime, signed.token, signed.session.csrf_token, signed.session.expires_at
    )
    return schemas.LoginOut(
        token=signed.token,
        csrf_token=signed.session.csrf_token,
        current_org_id=signed.session.org_id,
        expires_at=signed.session.expires_at,
    )


@router.post("/logout", status_code=204)
async def logout(
    request: Request, response: Response, session: Db, runtime: RuntimeDep, auth: Auth
) -> Response:
    """End this session."""
    token, _ = bearer_or_cookie(request)
    if token:
        await identity.logout(session, runtime, token)
    out = Response(status_code=204)
    out.delete_cookie(SESSION_COOKIE, path="/")
    out.delete_cookie(CSRF_COOKIE, path="/")
    return out


@router.post("/password-reset", status_code=204)
async def password_reset(
    body: schemas.PasswordResetIn, request: Request, session: Db, runtime: RuntimeDep
) -> Response:
    """Forgot password: set a new one with an SMS code."""
    await identity.reset_password_with_code(
        session,
        runtime,
        phone=body.phone,
        code=body.code,
        new_password=body.new_password,
        ip=client_ip(request),
        client=_client(request),
    )
    return Response(status_code=204)


@router.post("/switch-org", status_code=204)
async def switch_org(
    body: schemas.SwitchOrgIn, request: Request, session: Db, runtime: RuntimeDep, auth: Auth
) -> Response:
    """Make another of my organisations the current one."""
    token, _ = bearer_or_cookie(request)
    if not token or token.startswith(identity.API_KEY_PREFIX):
        raise Unauthenticated()
    await identity.switch_org(
        session, runtime, token, body.org_id, ip=client_ip(request), client=_client(request)
    )
    return Response(status_code=204)


@router.get("/me", response_model=schemas.MeOut)
async def me(session: Db, auth: Auth) -> schemas.MeOut:
    """Who I am, where, and what I may do."""
    user = await identity.get_user(session, auth.user_id)
    rows = await identity.memberships_of(session, auth.user_id)
    memberships = [
        schemas.MembershipBrief(org_id=o.id, org_name=o.name, org_code=o.code, status=m.status)
        for m, o in rows
    ]
    actor = auth.actor
    member = org = None
    if actor is not None:
        for m, o in rows:
            if o.id == actor.org_id:
                member = schemas.MemberBrief(id=m.id, real_name=m.real_name, status=m.status)
                org = schemas.OrgBrief.model_validate(o)
    return schemas.MeOut(
        user=schemas.UserOut.model_validate(user),
        member=member,
        organization=org,
        permissions=sorted(actor.permissions) if actor else [],
        data_scope=actor.data_scope.value if actor else None,
        unit_ids=sorted(actor.unit_ids) if actor else [],
        memberships=memberships,
    )


@router.post("/totp/setup", response_model=schemas.TotpSetupOut)
async def totp_setup(request: Request, session: Db, auth: Auth) -> schemas.TotpSetupOut:
    """Start enrolling an authenticator app."""
    secret, uri = await identity.totp_setup(
        session, auth.user_id, ip=client_ip(request), client=_client(request)
    )
    return schemas.TotpSetupOut(secret=secret, otpauth_uri=uri)


@router.post("/totp/enable", status_code=204)
async def totp_enable(
    body: schemas.TotpCodeIn, request: Request, session: Db, runtime: RuntimeDep, auth: Auth
) -> Response:
    """Confirm the authenticator with a first code."""
    await identity.totp_enable(
        session, runtime, auth.user_id, body.code, ip=client_ip(request), client=_client(request)
    )
    return Response(status_code=204)


@router.post("/totp/disable", status_code=204)
async def totp_disable(
    body: schemas.TotpCodeIn, request: Request, session: Db, runtime: RuntimeDep, auth: Auth
) -> Response:
    """Turn the second factor off (needs a current code)."""
    await identity.totp_disable(
        session, runtime, auth.user_id, body.code, ip=client_ip(request), client=_client(request)
    )
    return Response(status_code=204)
