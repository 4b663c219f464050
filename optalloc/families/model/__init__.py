"""Your own model: any linear or mixed-integer model (a Pyomo model, an optalloc LinearModel, an .mps or .lp
file) solved and certified against its own rows, bounds and integrality (optalloc.solve_model)."""
from optalloc.family import Family, Format

FAMILY = Family(
    name="model",
    package=__name__,
    description="a linear or mixed-integer model of your own, certified against its own rows",
    formats=(
        Format("mps", ".files:read_model", "an MPS file (free or fixed), as HiGHS reads it", ("linear_model",),
               ".files:write_model", patterns=("*.mps", "*.MPS")),
        Format("lp", ".files:read_model", "a CPLEX LP file, as HiGHS reads it", ("linear_model",),
               ".files:write_model", patterns=("*.lp", "*.LP")),
    ),
)
