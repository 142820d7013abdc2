''
  two quotes: '''
  dollar: ''${not}
  escaped newline: ''\n
  escaped tab: ''\t
  escaped backslash: ''\\
  escaped r: ''\r
''
