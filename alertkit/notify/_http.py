"""One JSON POST for the HTTP channels (webhook, Alertmanager): no redirects, errors as
:class:`~alertkit.model.errors.NotificationError`.

A channel makes one attempt per call; retries, backoff and the overall deadline belong to the
hub. ``timeout`` bounds each wait on the socket (connecting, sending, the answer), so a server
that accepts and never answers fails after about ``timeout`` seconds.
"""

from __future__ import annotations

import http.client
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import IO, Any

from alertkit.model.errors import NotificationError, ValidationError

__all__ = ["channel_name", "check_http_url", "check_timeout", "post_json", "redacted"]

_FIRST_LINE_CHARS = 200  # enough to say why; a receiver's error page can be megabytes


def check_http_url(url: object, field: str = "url") -> str:
    """``url`` if it is an http(s) URL with a host, else :class:`ValidationError`."""
    if not isinstance(url, str):
        raise ValidationError(f"{field}: expected an http(s) URL, got {url!r}")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError as exc:
        raise ValidationError(f"{field}: expected an http(s) URL, got {url!r} ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError(f"{field}: expected an http(s) URL, got {url!r}")
    if not parts.hostname:
        raise ValidationError(f"{field}: expected an http(s) URL with a host, got {url!r}")
    return url


def channel_name(name: object, default: str) -> str:
    """``name`` if given (a non-empty str, else :class:`ValidationError`), else ``default``."""
    if name is None:
        return default
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"name: expected a non-empty str, got {name!r}")
    return name.strip()


def check_timeout(timeout: object) -> float:
    """``timeout`` as float seconds if it is a positive number, else :class:`ValidationError`."""
    number = isinstance(timeout, int | float) and not isinstance(timeout, bool)
    if number and isinstance(timeout, int | float) and 0 < timeout < math.inf:
        return float(timeout)
    raise ValidationError(f"timeout: expected a positive number of seconds, got {timeout!r}")


def redacted(url: str) -> str:
    """``url`` with any password in it replaced by ``***`` (names and messages are logged)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would follow a 302 as a GET without the body and report the GET's 200: the
    # receiver never got the alert, yet it counted as delivered. Returning None makes urllib
    # raise the 3xx as an HTTPError instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_RefuseRedirects)


def post_json(
    url: str,
    payload: Any,
    *,
    what: str,
    timeout: float,
    headers: Mapping[str, str] | None = None,
) -> None:
    """POST ``payload`` as JSON to ``url``; a 2xx answer is delivered, anything else raises.

    ``what`` names the destination in error messages (``"webhook http://..."``).
    """
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = response.status
            if 200 <= status < 300:
                return
            # urllib raises for most non-2xx answers; a 1xx or an unusual code lands here
            detail = _first_line(response)
    except urllib.error.HTTPError as exc:
        with exc:  # it holds the open response
            status = exc.code
            if 300 <= status < 400:
                target = exc.headers.get("Location", "nowhere (no Location header)")
                raise NotificationError(
                    f"{what} redirected ({status}) to {target}; redirects are not followed"
                    " (the body would be dropped): configure the final URL"
                ) from None
            detail = _first_line(exc)
    except (OSError, http.client.HTTPException) as exc:  # refused, unreachable, timed out
        raise NotificationError(f"{what} failed: {exc or type(exc).__name__}") from exc
    raise NotificationError(f"{what} answered {status}" + (f": {detail}" if detail else ""))


def _first_line(response: IO[bytes]) -> str:
    try:
        head = response.read(4096)
    except (OSError, http.client.HTTPException):
        return ""
    line = head.decode("utf-8", "replace").strip().splitlines()
    return line[0][:_FIRST_LINE_CHARS] if line else ""
