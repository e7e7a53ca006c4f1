# A random value is drawn where a step or an action runs; a setting, an option or a param is fixed.
machine {
  cpus uniform(1, 4)
}
driver gru {
  callback exp(400ns)
}
option lock_kind exp(3)
param mean = exp(50us)
sweep n = [1, uniform(2, 8)]
sweep m = [1, 2]
process p {
  touch 1
}
expect register.ok == 0 when m == exp(3)
