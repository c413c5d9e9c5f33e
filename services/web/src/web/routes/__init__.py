"""Page routers: one for sign-in, one for the start page, one per backend service. The basket,
cases, notifications and evaluation pages get routers of their own as those APIs settle."""
