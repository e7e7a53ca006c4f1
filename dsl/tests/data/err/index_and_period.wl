process rank x 2 { sleep 1ms }
at 1ms kill rank[$index]
every 0ns reclaim 1
