"""Instances: the shared format, readers for public formats and seeded generators."""
from optalloc.instances.format import Instance, Reference, dumps, instance_from_dict, load, loads, make_instance, save

__all__ = ["Instance", "Reference", "dumps", "instance_from_dict", "load", "loads", "make_instance", "save"]
