{ f = { x, y ? 1 }: x; g = z: z; }
