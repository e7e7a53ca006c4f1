process p { exit }
at p.exit + 1 kill p
at -1ms kill p
seed -1
machine { cost vmalloc_call 1 }
