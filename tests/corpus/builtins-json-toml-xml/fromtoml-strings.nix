builtins.fromTOML ''
  basic = "tab\tquote\"unicode\u00e9"
  literal = 'C:\path\no-escape'
''
