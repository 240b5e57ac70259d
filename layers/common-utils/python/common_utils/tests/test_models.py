"""Unit tests of the shared models. Kept next to the code; the layer build's slimming drops them."""

from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from common_utils import Building, Reading, SensorKind, error_response, ok_response


def test_latest_reading():
    r1 = Reading(sensor_id="t-1", kind=SensorKind.TEMPERATURE, value=20.5, at=datetime(2025, 1, 1, tzinfo=timezone.utc))
    r2 = Reading(sensor_id="t-1", kind=SensorKind.TEMPERATURE, value=21.0, at=datetime(2025, 1, 2, tzinfo=timezone.utc))
    b = Building(building_id="b1", name="HQ", floors=3, readings=[r1, r2])
    assert b.latest(SensorKind.TEMPERATURE) == r2
    assert b.latest(SensorKind.CO2) is None
    assert ok_response(b)["statusCode"] == 200


def test_naive_timestamp_is_refused():
    with pytest.raises(ValidationError) as exc:
        Reading(sensor_id="t-1", kind="co2", value=400, at=datetime(2025, 1, 1))
    assert error_response(exc.value)["statusCode"] == 400
