"""Initial load of the register from an older system's export (``renkou registry load``)."""

from renkou.registry.loading.load import LoadResult, registry_load

__all__ = ["LoadResult", "registry_load"]
