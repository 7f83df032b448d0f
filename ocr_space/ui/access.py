"""Who is asking, and what they may do: roles, their workspace, their Hub token.

Handlers add three parameters Gradio fills in itself (they never show in the
API): ``request: gr.Request``, ``profile: gr.OAuthProfile | None`` (from the
signed session cookie, so it cannot be forged by an API caller) and
``oauth_token: gr.OAuthToken | None``; :func:`visitor` turns them into a
:class:`Visitor`. In public mode (a Space, or a non-loopback address):

- anyone may Recognize, Build Dataset and Compare, with their own files;
- training, resuming, cancelling, merging and pushing need a signed-in user;
- training also needs the user on the allow-list (``OCR_SPACE_TRAINERS``,
  default: the Space owner).

Locally (127.0.0.1) everyone is the machine's owner, as before. Each rule is
a method that raises :class:`AccessDenied` with the message the UI shows.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Iterator

from ocr_space.config import LIMITS, public_mode, space_owner, trainers
from ocr_space.errors import OcrSpaceError
from ocr_space.gpu import GPU
from ocr_space.hub_reads import HubToken, reading_hub_as
from ocr_space.ui.strings import t
from ocr_space.workspace import Workspace, visitor_key


class AccessDenied(OcrSpaceError):
    """The visitor's role does not allow this action (sign in, or ask the owner to be a trainer)."""


@dataclass(frozen=True)
class Visitor:
    """One visitor as the handlers see them.

    >>> Visitor.local().may_train
    True
    """

    username: str | None
    session: str
    oauth_token: str | None
    public: bool
    workspace: Workspace

    @classmethod
    def local(cls) -> Visitor:
        """The machine's owner at 127.0.0.1 (or a direct Python call): every action, the open workspace."""
        return cls(None, "local", None, False, Workspace.open())

    @property
    def signed_in(self) -> bool:
        return self.username is not None

    @property
    def is_owner(self) -> bool:
        """The Space owner signed in (or anyone locally): only then may the machine's HF_TOKEN be used."""
        return not self.public or (self.signed_in and self.username == space_owner())

    @property
    def may_train(self) -> bool:
        return not self.public or (self.signed_in and self.username in trainers())

    def require_signed_in(self, action: str) -> None:
        """Raise unless the visitor may ``action`` (resume, cancel, merge, push): signed in, or local."""
        if self.public and not self.signed_in:
            raise AccessDenied(t("access.sign_in", action=t(f"access.action.{action}")))

    def require_trainer(self) -> None:
        """Raise unless the visitor may start training: signed in and on the allow-list, or local."""
        self.require_signed_in("train")
        if not self.may_train:
            raise AccessDenied(t("access.not_trainer", user=self.username))

    def hub_read_token(self) -> HubToken:
        """The token for Hub reads: the visitor's OAuth token; none for anonymous visitors; the machine's own
        (HF_TOKEN) only for the owner or locally."""
        if not self.public:
            return None
        if self.oauth_token:
            return self.oauth_token
        if self.is_owner:
            return None
        return False

    def push_token(self, typed: str | None) -> str | None:
        """The token for a push: the visitor's OAuth login, else the typed one; the machine's HF_TOKEN only
        locally (None: push_* looks it up). In public mode a push without either is refused."""
        if self.oauth_token:
            return self.oauth_token
        if typed and typed.strip():
            return typed.strip()
        if self.public:
            raise AccessDenied(t("share.login_first"))
        return None

    @contextlib.contextmanager
    def reading_hub(self) -> Iterator[None]:
        """Hub reads in the block carry this visitor's rights (see :mod:`ocr_space.hub_reads`)."""
        with reading_hub_as(self.hub_read_token()):
            yield

    def role_note(self) -> str:
        """One line for the Fine-tune and Share tabs: what this visitor may do, and why a button is off."""
        if not self.public:
            return ""
        if not self.signed_in:
            return t("access.note.anonymous")
        if not self.may_train:
            return t("access.note.not_trainer", user=self.username)
        return t("access.note.trainer", user=self.username)


def visitor(request: Any = None, profile: Any = None, oauth_token: Any = None) -> Visitor:
    """The :class:`Visitor` behind a Gradio request (``request`` None: a direct Python call, treated as local
    unless the app is public)."""
    public = public_mode()
    if not public:
        return Visitor.local()
    username = _username(profile)
    session = getattr(request, "session_hash", None) or "direct"
    token = getattr(oauth_token, "token", None) if username else None
    return Visitor(username, session, token, True, Workspace.for_visitor(visitor_key(username, session)))


@contextlib.contextmanager
def using_gpu(who: str, progress: Any = None) -> Iterator[None]:
    """Hold the one GPU for a request (see :mod:`ocr_space.gpu`); the progress bar says what it waits for."""
    def report(holder: str, position: int) -> None:
        if progress is not None:
            progress(0.0, desc=t("access.gpu_wait", holder=holder, position=position))

    with GPU.hold(who, timeout=LIMITS.gpu_wait_seconds, on_wait=report):
        yield


def _username(profile: Any) -> str | None:
    if profile is None:
        return None
    name = getattr(profile, "username", None) or (profile.get("preferred_username") if isinstance(profile, dict)
                                                   else None)
    return str(name) if name else None
