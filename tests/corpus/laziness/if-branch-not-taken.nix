if true then "ok" else throw "never"
