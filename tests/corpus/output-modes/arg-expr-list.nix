{ xs ? [ ] }: xs
