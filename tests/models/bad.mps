NAME bad
ROWS
 N obj
 Q c1
ENDATA
