toString [ [ ] [ [ ] ] "x" ]
