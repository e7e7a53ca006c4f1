workload "typo"
process vm { mmap anon 4K x 8 }
expect alwys deadlock.count == 0
