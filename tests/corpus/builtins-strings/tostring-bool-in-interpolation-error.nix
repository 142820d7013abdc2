"${toString true}${true}"
