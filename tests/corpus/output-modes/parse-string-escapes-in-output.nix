[ "tab\there" "dollar \${x}" "nl\n" ]
