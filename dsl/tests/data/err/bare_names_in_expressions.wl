# A parameter in an expression needs its '$'; a touch scope is 'file' or 'anon'.
sweep n = [2, 3]
file "shm" size 1M
process guest x 2 { sleep 1ms }
process killer x n { sleep 1ms }
at 1ms kill guest[n - 1]
process p { touch 5 in fil "shm" }
