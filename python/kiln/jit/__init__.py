"""kiln.jit: trace Python functions into static graphs (MegEngine's names)."""
from .trace import trace, TraceError

__all__ = ["trace", "TraceError"]
