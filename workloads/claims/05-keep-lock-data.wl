# Claim 5 — keeping v13's lock arrays from register to unregister pins vmalloc for life.
#
# The claim: unregister could be made unable to fail by keeping mm_lock's two arrays allocated
# from register to unregister, but that pins 16 bytes per VMA of vmalloc space per registered mm
# for the mm's whole life (1 MiB at max_map_count); "with enough VMs that alone exhausts" the
# 128 MB x86-32 arena, and the debate judged the waste not worth it.
# Who and when: the unregister-can-fail discussion of #v12-#v14, April-May 2008.
# The arithmetic: at 65530 VMAs the two arrays take 2 x (128 pages + 1 guard page) = 1032 KiB,
# so a 128 MiB arena holds 127 such VMs; 16 bytes x N x VMs must stay under the arena.
# The workload (scaled to keep the run small: a 5 MiB arena, 6 VMs of 65530 VMAs each): each VM
# registers, stays up 1 s, unregisters. (It had a 16 MiB arena and 20 VMs; at 20 seeds that one
# file took most of `sim check --seeds 20`, and the arithmetic is the same at any scale. 5 MiB
# still leaves room for the 4 CPUs' registers to hold their transient arrays at once, 4 x 1032
# KiB, so that without keep_lock_data no register fails for want of space.)
# What the model shows: with keep_lock_data the arena holds 4 VMs' arrays and the other 2
# registrations fail with -ENOMEM; without it the arrays are transient and every register
# succeeds.
# Over seeds: every line is `always` or `never` (no register fails without the kept arrays);
# the counts are the same at every seed.
workload "05-keep-lock-data"
seed 5
machine {
  cpus 4
  memory 64G
  vmalloc 5M
}
strategy mm_lock
sweep keep = [false, true]
option keep_lock_data $keep
driver kvm { callback 150ns }
process vm x 6 {
  mmap anon 4K x 65530
  register kvm
  sleep 1s
  unregister kvm
  exit
}
expect never register.failed > 0 when keep == false
expect always register.enomem == 2 when keep == true
expect always vmalloc.pinned_peak >= 4 * 16 * 65530 when keep == true
expect never unregister.failed > 0
