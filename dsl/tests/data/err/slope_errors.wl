sweep strategy = [mm_lock, unsorted]
param hold = 1us
sweep mode = [a, b]
expect slope(register.latency.mean, hold) in 1..2
expect slope(register.latency.mean, strategy) in 1..2
expect slope(register.latency.mean, mode) in 1..2
expect slope(register.latency.mean, nothing) in 2..1
expect slope(register.latency.mean, hold) in 1ms..2
