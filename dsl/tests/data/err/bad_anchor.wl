process rank { sleep 1ms }
at rank.registr + 1ms kill rank
