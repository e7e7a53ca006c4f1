# Sweeps multiply; the first sweep is the outermost. strategy comes first in every point's map.
workload "sweeps"
param cpus = 8
sweep vmas = pow2(2..4)
param hold = 20us
sweep strategy = [mm_lock, unsorted]
sweep sleepy = [false, true]
machine { cpus $cpus }
driver d { sleeps $sleepy }
process p {
  mmap anon 4K x $vmas
  compute $hold
}
