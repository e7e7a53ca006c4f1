# A sweep that nothing reads runs the same simulation at each of its values: a warning. Sweeps
# read by a step (as in sweeps.wl), a process's when or the strategy statement do not warn.
sweep trial = [1, 2]
sweep picked = [1, 2]
sweep layout = [a, b]
sweep s = [mm_lock, unsorted]
strategy $s
driver kvm {}
process p when layout == a {
  mmap anon 4K x 2
  register kvm
}
expect register.failed == 0 when picked == 1
expect register.ok == 1 when layout == a
