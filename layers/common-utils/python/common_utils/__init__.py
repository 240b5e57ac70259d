"""Shared models and helpers for a team's Python Lambda functions (packaged as the common-utils layer)."""

from common_utils.models import Building, Reading, SensorKind
from common_utils.responses import error_response, ok_response

__all__ = ["Building", "Reading", "SensorKind", "error_response", "ok_response"]
__version__ = "1.0.0"
