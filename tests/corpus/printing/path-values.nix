[ /abs ./rel ]
