process rank x 2 { sleep 1ms }
at 1ms kill rank[$index + 1]
at rank[1 - $index].register signal rank
process p x $index + 1 { sleep 1ms }
