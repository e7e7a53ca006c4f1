process p {
  compute 1.5ns
  sleep 0.0001us
}
