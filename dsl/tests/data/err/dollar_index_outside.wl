process rank x 4 { sleep 1ms }
every 1ms reclaim $index
