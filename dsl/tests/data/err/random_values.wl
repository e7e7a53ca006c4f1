process rank x 2 {
  touch uniform(5, 1)
  touch uniform(0, 3)
  touch exp(0)
}
file "f" size uniform(1M, 2M)
every exp(1ms) reclaim 1
