# overrides: vmas=8 strategy=unlocked hold=1.5us size=8K
sweep strategy = [mm_lock, mm_lock_slow]
sweep vmas = [1, 2, 4]
param hold = 20us
param size = 4096
process p {
  mmap anon $size x $vmas
  compute $hold
}
