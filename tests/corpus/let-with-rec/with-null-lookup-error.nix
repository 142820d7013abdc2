with null; x
