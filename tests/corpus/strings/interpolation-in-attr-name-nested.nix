let a = "x"; in { "${a}${"y"}" = 1; }."xy"
