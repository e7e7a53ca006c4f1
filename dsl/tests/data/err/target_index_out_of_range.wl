process rank x 4 { sleep 1ms }
at rank[4].register kill rank[0]
