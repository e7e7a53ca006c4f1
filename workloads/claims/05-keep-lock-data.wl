# Claim 5 — keeping v13's lock arrays from register to unregister pins vmalloc for life.
#
# The claim: unregister could be made unable to fail by keeping mm_lock's two arrays allocated
# from register to unregister, but that pins 16 bytes per VMA of vmalloc space per registered mm
# for the mm's whole life (1 MiB at max_map_count); "with enough VMs that alone exhausts" the
# 128 MB x86-32 arena, and the debate judged the waste not worth it.
# Who and when: the unregister-can-fail discussion of #v12-#v14, April-May 2008.
# The arithmetic: at 65530 VMAs the two arrays take 2 x (128 pages + 1 guard page) = 1032 KiB,
# so a 128 MiB arena holds 127 such VMs; 16 bytes x N x VMs must stay under the arena.
# The workload (scaled to keep the run small: 16 MiB arena, 20 VMs of 65530 VMAs each): each VM
# registers, stays up 1 s, unregisters.
# What the model shows: with keep_lock_data the arena holds 15 VMs' arrays and the other 5
# registrations fail with -ENOMEM; without it the arrays are transient and every register
# succeeds.
workload "05-keep-lock-data"
seed 5
machine {
  cpus 4
  memory 64G
  vmalloc 16M
}
strategy mm_lock
sweep keep = [false, true]
option keep_lock_data $keep
driver kvm { callback 150ns }
process vm x 20 {
  mmap anon 4K x 65530
  register kvm
  sleep 1s
  unregister kvm
  exit
}
expect register.failed == 0 when keep == false
expect register.enomem == 5 when keep == true
expect vmalloc.pinned_peak >= 15 * 16 * 65530 when keep == true
expect unregister.failed == 0
