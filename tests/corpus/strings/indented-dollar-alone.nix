''$ and $$ and $'' 
