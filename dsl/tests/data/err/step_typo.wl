process rank {
  mmapp anon 4K
  exit
}
