"""The PE registry's own settings, on top of what every service reads."""
from __future__ import annotations

import dataclasses

from recert_common.config import ConfigError, ServiceSettings, env_field

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class PeRegistrySettings(ServiceSettings):
    # The bucket holding evidence files; no other service writes to it.
    evidence_bucket: str = env_field("RECERT_PE_REGISTRY_EVIDENCE_BUCKET", "pe-evidence")
    # The largest evidence file accepted, in bytes (20 MiB, shown to people as "20 MB").
    max_evidence_bytes: int = env_field("RECERT_PE_REGISTRY_MAX_EVIDENCE_BYTES", 20 * MiB)

    def __post_init__(self):
        super().__post_init__()
        if self.max_evidence_bytes < 1:
            raise ConfigError("RECERT_PE_REGISTRY_MAX_EVIDENCE_BYTES must be at least 1")
