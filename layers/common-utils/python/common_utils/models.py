"""Pydantic models shared by the functions: validated at the edge, typed everywhere else."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SensorKind(str, Enum):
    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"
    CO2 = "co2"


class Reading(BaseModel):
    """One sensor reading as devices send it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sensor_id: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9-]+$")
    kind: SensorKind
    value: float
    at: datetime

    @field_validator("at")
    @classmethod
    def must_be_aware(cls, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("timestamp needs a timezone")
        return at.astimezone(timezone.utc)


class Building(BaseModel):
    building_id: str = Field(min_length=1)
    name: str
    floors: int = Field(ge=1, le=200)
    readings: list[Reading] = Field(default_factory=list)

    def latest(self, kind: SensorKind) -> Reading | None:
        matching = [r for r in self.readings if r.kind == kind]
        return max(matching, key=lambda r: r.at) if matching else None
