"""Where the Hub token comes from, and keeping it secret.

Order: a token handed in explicitly (the UI's OAuth login or password field,
a ``token=`` argument) wins; otherwise ``huggingface_hub``'s own lookup
(``HF_TOKEN``, then a token saved by ``hf auth login``). The token is only
ever passed to ``huggingface_hub`` calls as an argument: never logged, never
written to disk (no ``login()``), never put in a card, and ``scrub`` removes
it from any text that might reach a user or a log (``scrub`` lives in
:mod:`ocr_space.hub.errors`, the bottom of ``hub/``, whose messages use it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ocr_space.hub.errors import TOKENS_PAGE, HubAuthError, explain, scrub

__all__ = ["TOKENS_PAGE", "Account", "account_for", "require_token", "resolve_token", "scrub"]


def resolve_token(token: str | None = None) -> str | None:
    """The token to use: ``token`` if given (stripped), else HF_TOKEN / the saved login, else None.

    >>> resolve_token("  hf_abc  ")
    'hf_abc'
    """
    if token and token.strip():
        return token.strip()
    from huggingface_hub import get_token

    return get_token()


def require_token(token: str | None = None) -> str:
    """Like :func:`resolve_token`, but a missing token is a :class:`HubAuthError` that says how to log in."""
    resolved = resolve_token(token)
    if not resolved:
        raise HubAuthError("Not logged in to the Hugging Face Hub: sign in with the Login button (on a Space), type "
                           f"a write token in the token field, or set HF_TOKEN. Create one at {TOKENS_PAGE}.")
    return resolved


@dataclass(frozen=True)
class Account:
    """Who a token belongs to and where it may create repos."""

    name: str
    orgs: tuple[str, ...]
    role: str | None

    @property
    def namespaces(self) -> tuple[str, ...]:
        return (self.name, *self.orgs)


def account_for(api, token: str) -> Account:
    """Ask the Hub who ``token`` belongs to (``whoami``); failures become :class:`HubError` messages."""
    try:
        info = api.whoami(token=token)
    except Exception as exc:  # noqa: BLE001 - every failure is explained, with the token scrubbed
        raise explain(exc, repo_id="your account", action="check the login for", token=token) from None
    role = ((info.get("auth") or {}).get("accessToken") or {}).get("role")
    return Account(name=info["name"], orgs=tuple(org["name"] for org in info.get("orgs") or ()), role=role)
