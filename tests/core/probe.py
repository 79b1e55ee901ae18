"""A test-only adapter, ``probe``, registered by hand: a memory adapter whose config has typed and secret options.

Configuration tests need an adapter with options (the real ``memory`` adapter has none) so that each source of the
resolution order can be told apart by its ``path`` and query parameters can be checked for their coercion.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr

from vectorstore import AdapterSpec, hookimpl
from vectorstore.adapters.memory import MemoryAdapter


class ProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant: str | None = None
    host: str | None = None
    port: int | None = None
    path: str | None = None
    username: str | None = None
    api_key: SecretStr | None = None
    auth_token: SecretStr | None = None
    flag: bool = False
    size: int = 1
    ratio: float = 0.5
    label: str = ""


class ProbeAdapter(MemoryAdapter):
    name = "probe"

    def __init__(self, config: ProbeConfig) -> None:
        super().__init__()
        self.config = config


def spec(name: str = "probe", schemes: tuple[str, ...] = ("probe", "probe+http"), **kwargs: str) -> AdapterSpec:
    values = {"adapter": f"{__name__}:ProbeAdapter", "config": f"{__name__}:ProbeConfig", **kwargs}
    return AdapterSpec(name=name, schemes=schemes, **values)


class Plugin:
    """A pluggy plugin object declaring the given specs."""

    def __init__(self, *specs: AdapterSpec) -> None:
        self.specs = list(specs) or [spec()]

    @hookimpl
    def vectorstore_adapters(self) -> list[AdapterSpec]:
        return self.specs
