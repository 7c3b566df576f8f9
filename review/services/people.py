"""Societies, users, roles and API tokens."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from review.exceptions import AuthenticationFailed, Conflict, InvalidInput, NotFound
from review.models import ApiToken, Society, User, UserExpertise, UserRole, utcnow
from review.passwords import DUMMY_HASH, hash_password, verify_password
from review.states import Role

if TYPE_CHECKING:
    from review.db import Database

log = logging.getLogger(__name__)

TOKEN_PREFIX = "kp_"
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$")
SOCIETY_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Actor:
    """The authenticated user behind a request, detached from any session."""

    id: int
    name: str
    email: str
    roles: frozenset[str]
    society_id: int | None
    expertise: frozenset[str] = frozenset()

    def has(self, role: Role | str) -> bool:
        return str(role) in self.roles


def actor_of(user: User) -> Actor:
    return Actor(
        id=user.id,
        name=user.name,
        email=user.email,
        roles=frozenset(user.roles),
        society_id=user.society_id,
        expertise=frozenset(user.expertise),
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_society(db: Database, *, code: str, name: str) -> Society:
    """Register a member society (学会)."""
    code = code.strip().lower()
    name = name.strip()
    if not SOCIETY_CODE_RE.match(code):
        raise InvalidInput("学会代码只能包含小写字母、数字、下划线和连字符（最多 32 个字符）")
    if not name or len(name) > 200:
        raise InvalidInput("学会名称不能为空，且不超过 200 个字符")
    try:
        with db.write() as s:
            society = Society(code=code, name=name)
            s.add(society)
            s.flush()
    except IntegrityError as exc:
        raise Conflict(f"学会代码 {code} 已存在") from exc
    return society


def create_user(
    db: Database,
    *,
    email: str,
    name: str,
    roles: list[str],
    society_code: str | None = None,
    password: str | None = None,
    expertise: list[str] | None = None,
) -> tuple[User, str]:
    """Create a user with roles and return it with one new API token (shown once)."""
    email = email.strip().lower()
    name = name.strip()
    if not EMAIL_RE.match(email):
        raise InvalidInput(f"邮箱格式不正确：{email!r}")
    if not name or len(name) > 100:
        raise InvalidInput("姓名不能为空，且不超过 100 个字符")
    if not roles:
        raise InvalidInput("至少需要一个角色")
    valid = {r.value for r in Role}
    unknown = sorted(set(roles) - valid)
    if unknown:
        raise InvalidInput(f"未知角色：{', '.join(unknown)}（可选：{', '.join(sorted(valid))}）")
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 个字符")
    password_hash = hash_password(password) if password else None
    try:
        with db.write() as s:
            society_id = None
            if society_code:
                society = s.scalar(select(Society).where(Society.code == society_code.lower()))
                if society is None:
                    raise NotFound(f"学会不存在：{society_code}")
                society_id = society.id
            user = User(email=email, name=name, society_id=society_id, password_hash=password_hash)
            user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
            user.expertise_rows = [UserExpertise(topic=t) for t in sorted(set(expertise or []))]
            s.add(user)
            s.flush()
            token = _new_token(s, user.id, name="cli")
    except IntegrityError as exc:
        raise Conflict(f"邮箱 {email} 已被注册") from exc
    return user, token


def _new_token(session, user_id: int, *, name: str) -> str:  # type: ignore[no-untyped-def]
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user_id, digest=_digest(token), prefix=token[:10], name=name))
    return token


def login(db: Database, *, email: str, password: str, token_name: str = "login") -> str:
    """Check email and password and issue a new API token; upgrades an outdated hash.
    Unknown e-mails cost the same hash check, so timing does not reveal who is registered."""
    with db.read() as s:
        user = s.scalar(select(User).where(User.email == email.strip().lower()))
        user_id, stored = (user.id, user.password_hash) if user and user.is_active else (None, None)
    ok, new_hash = verify_password(stored or DUMMY_HASH, password)
    if user_id is None or stored is None or not ok:
        raise AuthenticationFailed("邮箱或密码错误")
    with db.write() as s:
        if new_hash:
            target = s.get(User, user_id)
            if target is not None and target.password_hash == stored:
                target.password_hash = new_hash
                log.info("rehashed password of user %s with current parameters", user_id)
        return _new_token(s, user_id, name=token_name[:100])


def authenticate_token(db: Database, token: str) -> Actor:
    """The actor owning a bearer token; AuthenticationFailed when unknown or revoked."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise AuthenticationFailed("API 令牌无效")
    with db.read() as s:
        row = (
            s.scalars(
                select(ApiToken)
                .options(
                    joinedload(ApiToken.user).joinedload(User.role_rows),
                    joinedload(ApiToken.user).joinedload(User.expertise_rows),
                )
                .where(ApiToken.digest == _digest(token))
            )
            .unique()
            .first()
        )
        if row is None or row.revoked_at is not None or not row.user.is_active:
            raise AuthenticationFailed("API 令牌无效或已吊销")
        return actor_of(row.user)


def revoke_token(db: Database, token: str) -> None:
    """Revoke a token (logout)."""
    with db.write() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.digest == _digest(token)))
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()


def get_actor(db: Database, user_id: int) -> Actor:
    with db.read() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound("用户不存在")
        return actor_of(user)
