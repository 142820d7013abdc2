[ ./foo /bar http://x.org ]
