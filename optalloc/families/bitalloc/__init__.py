"""Bit-allocation family: bits across weight groups under an average-bits budget (BAQ's problem), with
the safetensors reader and the quantize command's pipeline."""
from optalloc.family import Family

FAMILY = Family(
    name="bitalloc",
    package=__name__,
    description="bit allocation across weight groups under a bits budget (mixed-precision quantization)",
    kernels=(".exact", ".heuristics", "optalloc.engines.mckp"),
    warmup=".conformance:warmup",
)
