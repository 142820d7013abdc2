let k = "b"; in rec { a = 1; ${k} = a + 1; }
