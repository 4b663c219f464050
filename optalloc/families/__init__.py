"""The built-in families, one package each; each package's FAMILY declares everything it brings
(see optalloc.family). Adding a family is adding a package here, or declaring one outside optalloc."""
