"\${not interpolated} $${also not}"
