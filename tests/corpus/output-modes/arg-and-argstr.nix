{ x, y, z ? "default" }: [ x y z ]
