/** stars ** inside */ 5
