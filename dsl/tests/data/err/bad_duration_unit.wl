process p {
  compute 20mss
  sleep 20
}
