"""The one error the HTTP layer raises: a status, a stable code and a one-line message.

Every error response of the server has the body ``{"error": {"code": ..., "message": ...}}``;
``code`` is stable (clients branch on it), ``message`` says what was wrong for a person.
"""

from __future__ import annotations


class ApiError(Exception):
    """An HTTP error answered as ``{"error": {"code", "message"}}``.

    Parameters
    ----------
    status : int
        HTTP status (4xx for the client's mistakes, 503 when busy, 500 for the server's own).
    code : str
        Stable machine-readable code, e.g. ``"too_many_pixels"``.
    message : str
        One line for a person.
    headers : dict, optional
        Extra response headers (``Retry-After`` on 503).
    """

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, dict[str, str]]:
        """The JSON body of the response."""
        return {"error": {"code": self.code, "message": self.message}}
