param s = mm_lock_slow
param kind = rwsem
param keep = true
strategy $s
option lock_kind $kind
option keep_lock_data $keep
process p { exit }
