proces rank {
  exit
}
