"/prefix" + /abs/path
