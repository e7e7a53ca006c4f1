# overrides: vmas=100000
sweep vmas = [1, 2]
process p { mmap anon 4K x $vmas }
