throw "custom throw message"
