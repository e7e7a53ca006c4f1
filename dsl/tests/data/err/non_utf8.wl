workload "bad"
seed 1
process p { mmap anon 4K ÿþ }
