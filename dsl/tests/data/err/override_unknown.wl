# overrides: vmaz=10 strategy=mm_lok
param vmas = 4096
process p { mmap anon 4K x $vmas }
