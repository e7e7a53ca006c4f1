# Shrunk from workloads/claims/08-unsorted-deadlock.wl, line 57:
#   expect sometimes deadlock.count > 0 when strategy == unsorted and sharing == two_mms
# whose condition still holds here at strategy=unsorted sharing=two_mms, seed 8 (a witness).
# Pinned: -p strategy=unsorted
# Reduced: processes 3 -> 2, steps 16 -> 6 (86 -> 6 run), VMAs 6 -> 4 (4 -> 4 mapped); 15 reductions kept, 41 runs.
# Replay, saved as FILE: sim check FILE    (figures: sim run FILE)
workload "08-unsorted-deadlock"
seed 8
strategy unsorted
param sharing = two_mms
file "a" size 4K
file "b" size 4K
driver kvm {}
process first {
  mmap file "a" shared
  mmap file "b" shared
  register kvm
}
process second {
  mmap file "b" shared
  mmap file "a" shared
  register kvm
}
expect sometimes deadlock.count > 0 when strategy == unsorted and sharing == two_mms
