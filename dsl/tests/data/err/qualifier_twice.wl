workload "twice"
process vm { mmap anon 4K x 8 }
expect always never deadlock.count > 0
