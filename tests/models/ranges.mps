NAME ranges
ROWS
 N obj
 G c1
COLUMNS
 x obj -1 c1 1
 y obj -1 c1 1
RHS
 RHS c1 1
RANGES
 RNG c1 2
ENDATA
