"""Typed errors: what switchboard attaches to a failed call, decoded.

The service answers every error with a `google.rpc.Status` in the `grpc-status-details-bin`
trailer (AIP-193): an ErrorInfo always, BadRequest field violations for bad input, RetryInfo
when retrying helps, and ReconnectDetails on the ALREADY_EXISTS of a duplicate install.
"""

from __future__ import annotations

from typing import NamedTuple

import grpc
from google.rpc import error_details_pb2, status_pb2

from switchboard.v1 import errors_pb2

_DETAILS_KEY = "grpc-status-details-bin"
_CODES = {code.value[0]: code for code in grpc.StatusCode}


class FieldViolation(NamedTuple):
    """One bad field of a request (google.rpc.BadRequest.FieldViolation)."""

    field: str
    description: str


class SwitchboardError(grpc.RpcError):
    """A call that failed, with the details the service attached.

    Raised by every call made through `switchboard.Client`; `SwitchboardError(status)` also
    types a `google.rpc.Status` met elsewhere (a failed item of BatchSendMessages). It is a
    `grpc.RpcError`, but `code` is an attribute (a `grpc.StatusCode`), not a method. Fields
    whose detail is absent stay empty (`""`, `{}`, `[]`, `None`): an error from the
    transport (service unreachable, deadline passed) has only `code` and `message`.

    - `reason`, `domain`, `metadata`: google.rpc.ErrorInfo, e.g. "INTEGRATION_ALREADY_EXISTS",
      "switchboard", {"integration_id": ...}.
    - `field_violations`: google.rpc.BadRequest, as `FieldViolation(field, description)`.
    - `retry_delay`: google.rpc.RetryInfo in seconds: wait at least this long to try again.
    - `reconnect`: a `switchboard.v1.ReconnectDetails` on the ALREADY_EXISTS of a duplicate
      install: the existing integration and the token ReconnectIntegration takes.
    - `status`: the whole google.rpc.Status.
    """

    def __init__(self, status: status_pb2.Status) -> None:
        self.status = status
        self.code = _CODES.get(status.code, grpc.StatusCode.UNKNOWN)
        self.message = status.message
        self.reason = self.domain = ""
        self.metadata: dict[str, str] = {}
        self.field_violations: list[FieldViolation] = []
        self.retry_delay: float | None = None
        self.reconnect: errors_pb2.ReconnectDetails | None = None
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = _unpack(detail, error_details_pb2.ErrorInfo)
                self.reason, self.domain = info.reason, info.domain
                self.metadata = dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                violations = _unpack(detail, error_details_pb2.BadRequest).field_violations
                self.field_violations = [FieldViolation(v.field, v.description) for v in violations]
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                delay = _unpack(detail, error_details_pb2.RetryInfo).retry_delay
                self.retry_delay = delay.ToTimedelta().total_seconds()
            elif detail.Is(errors_pb2.ReconnectDetails.DESCRIPTOR):
                self.reconnect = _unpack(detail, errors_pb2.ReconnectDetails)
        reason = f" [{self.reason}]" if self.reason else ""
        super().__init__(f"{self.code.name}{reason}: {self.message}")


def _unpack(detail, message_type):
    message = message_type()
    detail.Unpack(message)
    return message


def from_rpc_error(error: grpc.RpcError) -> SwitchboardError:
    """The typed error of a failed call made with a plain gRPC stub or channel."""
    if isinstance(error, SwitchboardError):
        return error
    for key, value in getattr(error, "trailing_metadata", lambda: None)() or ():
        if key == _DETAILS_KEY:
            return SwitchboardError(status_pb2.Status.FromString(value))
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = error.details() if hasattr(error, "details") else str(error)
    return SwitchboardError(status_pb2.Status(code=code.value[0], message=message or ""))
