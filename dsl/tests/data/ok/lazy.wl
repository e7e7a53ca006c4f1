# Lowering never expands: a billion repeats is one step, many instances one definition.
machine { cpus 128 }
process many x 100000 {
  repeat 1000000000 {
    repeat 1000000000 {
      compute 1ns
    }
  }
}
