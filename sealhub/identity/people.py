"""The people model in words: rendered into docs/permissions.md beside the route rules."""

from __future__ import annotations

PEOPLE_MODEL = """\
## People: accounts, memberships, invitations

- **An account is its owner's**, one per phone number, global across organisations. Only
  its owner sets its password: at sign-up, or with an SMS reset code
  (`POST /api/v1/auth/password-reset`). No organisation can set, reset or read it, with
  one exception below (a first password for an account it opened and nobody has used).
- **A membership** is an account's place in one organisation: its name there, status
  (`pending` join request, `active`, `disabled`), roles and units. Permissions and data
  scope come from the membership's roles, in that organisation only.
- **Adding a person** (`POST /api/v1/members`, or a row of `POST /api/v1/members/import`):
  - a phone **without** an account: the organisation opens the account (remembered as
    its creator) and the membership is active at once; the first password is the one
    given, or a temporary one shown once (201);
  - a phone **with** an account: only an **invitation** is made (202) and the owner is
    texted a code. Nothing is granted, and the person is not a member, until the owner
    accepts, signed in (`GET /api/v1/me/invitations`, `POST .../{id}/accept` or
    `.../decline`) or with the texted code (`POST /api/v1/invitations/accept`; five wrong
    codes per phone and hour stop that path, the console still works). Invitations
    expire after 14 days; the organisation lists (`GET /api/v1/members/invitations`: all
    of them with an org-wide data scope, else those one sent) and withdraws them
    (`DELETE /api/v1/members/invitations/{id}`).
- **A person asking to join** by organisation code gets a `pending` membership that a
  member manager approves.
- **Helping someone who cannot sign in** (`POST /api/v1/members/{id}/reset-password`):
  the owner is texted a reset code; only for an account this organisation opened that
  nobody has signed in with yet is a new first password issued (shown once, sessions
  end).
- **Nobody acts on someone above them.** Granting roles (`role.exceeds_own`) and acting on
  a member - editing, disabling, enabling, approving, removing, password help
  (`member.exceeds_own`, 403) - are refused when the role or the member holds a
  permission the actor lacks, or a wider data scope. An organisation always keeps one
  active member holding `member.manage` and `role.manage` (`member.last_admin`).
- Removing a member ends their sessions in that organisation; their account and other
  memberships are untouched.
"""
