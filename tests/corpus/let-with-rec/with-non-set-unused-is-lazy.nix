with (throw "never forced"); 1
