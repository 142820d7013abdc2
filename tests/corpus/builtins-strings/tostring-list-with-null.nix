toString [ null null ]
