sweep n = [1, 3]
process killer x $n - 2 { sleep 1ms }
process many x $n * 2147483648 { sleep 1ms }
process fine x $n { sleep 1ms }
