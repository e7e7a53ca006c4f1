sweep n = [2, 4]
driver gru {}
process owner x 2 { register gru; sleep 1ms }
process closer x $n {
  unregister gru of owner[$index]
  register gru of owner[$index - 1]
}
process guest x $n { sleep 1ms }
at 1ms kill guest[$n - 3]
at 2ms kill owner[$n]
