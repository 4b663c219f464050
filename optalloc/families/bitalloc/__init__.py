"""Bit-allocation family: bits across weight groups under an average-bits budget (BAQ's problem), with
the safetensors reader and the quantize command's pipeline."""
from optalloc.family import Command, Family

FAMILY = Family(
    name="bitalloc",
    package=__name__,
    description="bit allocation across weight groups under a bits budget (mixed-precision quantization)",
    kernels=(".exact", ".heuristics", "optalloc.engines.mckp"),
    warmup=".conformance:warmup",
    commands=(Command("quantize", "allocate bits to the weights of a safetensors file, quantize them and measure "
                                  "the error against uniform bits at the same budget",
                      ".command:add_arguments", ".command:run"),),
)
