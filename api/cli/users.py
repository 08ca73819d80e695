"""``hotline users``: accounts and roles. Every change is audited as ``cli:<OS user>``."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime, timezone

import click

from api.cli.common import Runtime, pass_runtime, print_json, print_table
from core import audit, credentials
from core.audit import Actor
from core.db import transaction
from core.times import iso
from core.users import ROLES, UserError, add_user, get_user, list_users, parse_role, set_disabled, set_password


def _actor() -> Actor:
    try:
        who = getpass.getuser()
    except Exception:
        who = "unknown"
    return Actor(f"cli:{who}", "", "local")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line; the newline that ends it is not part of the password.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def _fail(exc: UserError) -> click.ClickException:
    option = {"agent_interface": "--agent-interface", "role": "--role", "name": "NAME", "password": "password"}.get(exc.field, exc.field)
    return click.BadParameter(exc.message, param_hint=option)


@click.group()
def users() -> None:
    """User accounts: admin, supervisor, qa and agent roles."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r.value for r in ROLES]), help="admin, supervisor, qa or agent.")
@click.option("--agent-interface", "interfaces", multiple=True, metavar="INTERFACE", help="The AMI interface an agent answers on (PJSIP/1001); repeatable.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
@pass_runtime
def add(runtime: Runtime, name: str, role: str, interfaces: tuple[str, ...], password_stdin: bool) -> None:
    """Create a user."""
    runtime.upgrade_schema()
    password = _read_password(password_stdin)
    now = datetime.now(timezone.utc)
    try:
        with transaction(runtime.sessions) as session:
            user = add_user(session, name, parse_role(role), password, interfaces=list(interfaces), now=now)
            audit.record(session, _actor(), "user.add", name, now=now, role=role, interfaces=list(interfaces))
    except UserError as exc:
        raise _fail(exc) from None
    click.echo(f"user {user.name!r} added with role {role}" + (f", interfaces {', '.join(interfaces)}" if interfaces else ""))


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_runtime
def list_(runtime: Runtime, as_json: bool) -> None:
    """List users."""
    runtime.upgrade_schema()
    with runtime.sessions() as session:
        rows = [
            {"name": u.name, "role": u.role, "interfaces": u.interface_names, "disabled": u.disabled, "created_at": iso(u.created_at, runtime.zone), "updated_at": iso(u.updated_at, runtime.zone)}
            for u in list_users(session)
        ]
    if as_json:
        print_json(rows)
    else:
        print_table([{**r, "interfaces": ", ".join(r["interfaces"]), "disabled": "yes" if r["disabled"] else ""} for r in rows], ["name", "role", "interfaces", "disabled", "created_at"])


def _existing(session, name: str):
    user = get_user(session, name)
    if user is None:
        raise click.BadParameter(f"no user named {name!r}", param_hint="NAME")
    return user


@users.command("disable")
@click.argument("name")
@pass_runtime
def disable(runtime: Runtime, name: str) -> None:
    """Disable a user: it can no longer log in, and its sessions and tokens stop working."""
    runtime.upgrade_schema()
    now = datetime.now(timezone.utc)
    with transaction(runtime.sessions) as session:
        user = _existing(session, name)
        set_disabled(session, user, True, now=now)
        revoked = credentials.revoke_all(session, user, now=now)
        audit.record(session, _actor(), "user.disable", name, now=now, revoked=revoked)
    click.echo(f"user {name!r} disabled; {revoked} sessions/tokens revoked")


@users.command("enable")
@click.argument("name")
@pass_runtime
def enable(runtime: Runtime, name: str) -> None:
    """Enable a disabled user again."""
    runtime.upgrade_schema()
    now = datetime.now(timezone.utc)
    with transaction(runtime.sessions) as session:
        set_disabled(session, _existing(session, name), False, now=now)
        audit.record(session, _actor(), "user.enable", name, now=now)
    click.echo(f"user {name!r} enabled")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input instead of prompting.")
@pass_runtime
def passwd(runtime: Runtime, name: str, password_stdin: bool) -> None:
    """Set a user's password; its sessions and tokens are revoked."""
    runtime.upgrade_schema()
    with runtime.sessions() as session:
        _existing(session, name)
    password = _read_password(password_stdin)
    now = datetime.now(timezone.utc)
    try:
        with transaction(runtime.sessions) as session:
            user = _existing(session, name)
            set_password(session, user, password, now=now)
            revoked = credentials.revoke_all(session, user, now=now)
            audit.record(session, _actor(), "user.passwd", name, now=now, revoked=revoked)
    except UserError as exc:
        raise _fail(exc) from None
    click.echo(f"password of {name!r} changed; {revoked} sessions/tokens revoked")
