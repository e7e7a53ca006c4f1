process p x 0 {
  touch 0
  repeat 0 {
    exit
  }
}
