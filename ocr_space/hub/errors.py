"""What can go wrong talking to the Hub, each kind with a message that says what to do.

``explain`` turns whatever ``huggingface_hub`` or the network raised into one
of these, with the token scrubbed from every word of it. The bottom of
``hub/``: it imports nothing else of the package, so every hub module can
raise these.
"""

from __future__ import annotations

from ocr_space.errors import OcrSpaceError

#: Where users create or renew a Hub token; every auth message points there.
TOKENS_PAGE = "https://huggingface.co/settings/tokens"
_REDACTED = "hf_***"


def scrub(text: str, token: str | None) -> str:
    """``text`` with every occurrence of ``token`` replaced, so error messages and logs can't leak it.

    >>> scrub("bad token hf_abc123", "hf_abc123")
    'bad token hf_***'
    """
    if token:
        text = text.replace(token, _REDACTED)
    return text


class HubError(OcrSpaceError):
    """Pushing to or loading from the Hugging Face Hub failed."""


class HubAuthError(HubError):
    """No token, or the Hub rejected it (invalid, expired, read-only)."""


class HubPermissionError(HubError):
    """The token is valid but may not write where asked (someone else's namespace, no write scope)."""


class HubNotFoundError(HubError):
    """The repo (or a file in it) does not exist, or is private and hidden from this token."""


class HubNetworkError(HubError):
    """The Hub could not be reached (no network, offline mode, wrong endpoint)."""


class HubQuotaError(HubError):
    """The account's storage quota or a size limit refused the upload."""


class PushSourceError(HubError):
    """The local folder to push is not what the push expects (not an adapter, no weights, no dataset)."""


def explain(exc: BaseException, *, repo_id: str, action: str, token: str | None) -> HubError:
    """The user-facing :class:`HubError` for a failure of ``action`` (e.g. "push to") on ``repo_id``.

    >>> explain(ConnectionError("refused"), repo_id="me/ocr", action="push to", token=None)  # doctest: +ELLIPSIS
    HubNetworkError('Could not reach the Hugging Face Hub to push to me/ocr...')
    """
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    detail = scrub(_server_message(exc) or str(exc), token)
    if isinstance(exc, OfflineModeIsEnabled):
        return HubNetworkError(f"Hub offline mode is on (HF_HUB_OFFLINE=1), so nothing can {action} {repo_id}. "
                               "Unset HF_HUB_OFFLINE and try again; your local files are untouched.")
    status = exc.response.status_code if isinstance(exc, HfHubHTTPError) and exc.response is not None else None
    if status is None:
        if _is_network_failure(exc):
            return HubNetworkError(f"Could not reach the Hugging Face Hub to {action} {repo_id} ({detail}). Check "
                                   "the network (and HF_ENDPOINT if set), then try again; your local files are "
                                   "untouched.")
        return HubError(f"Could not {action} {repo_id}: {detail}")
    if status == 401:
        return HubAuthError(f"The Hub rejected your token (401) while trying to {action} {repo_id}: it is invalid "
                            f"or expired. Log in again or create a token with write access at {TOKENS_PAGE}.")
    if _mentions_quota(detail) or status in (413, 507):
        return HubQuotaError(f"The Hub refused the upload to {repo_id} for lack of space ({status}: {detail}). "
                             "Free storage on your account or push to another namespace; your local files are "
                             "untouched.")
    if status == 403:
        return HubPermissionError(f"The Hub refused to let you {action} {repo_id} (403: {detail}). Use a token with "
                                  f"write access to that namespace ({TOKENS_PAGE}), or push to your own namespace.")
    if status == 404:
        return HubNotFoundError(f"{repo_id} was not found on the Hub (404), or it is private and this token cannot "
                                "see it. Check the repo id and that you are logged in with access to it.")
    if status == 429:
        return HubError(f"The Hub is rate-limiting requests (429) while trying to {action} {repo_id}; wait a "
                        "minute and try again.")
    return HubError(f"The Hub answered {status} while trying to {action} {repo_id}: {detail}")


def _server_message(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if response is None:
        return None
    return getattr(exc, "server_message", None) or response.headers.get("X-Error-Message")


def _is_network_failure(exc: BaseException) -> bool:
    import httpx2

    return isinstance(exc, (httpx2.TransportError, ConnectionError, TimeoutError))


def _mentions_quota(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in ("quota", "storage limit", "exceeded your storage", "payload too large"))
