~/config
