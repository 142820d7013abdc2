let a = x: b x; b = y: c y; c = z: z + "s"; in a 1
