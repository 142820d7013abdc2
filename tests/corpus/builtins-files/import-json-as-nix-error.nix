import ./fixtures/data.json
