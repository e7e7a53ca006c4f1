param s = mm_lok
strategy $s
param k = mutex
option lock_kind $k
