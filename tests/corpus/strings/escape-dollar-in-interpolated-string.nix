let x = "v"; in "\$${x}"
