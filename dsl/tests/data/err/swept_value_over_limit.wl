sweep vmas = [1024, 65530, 70000]
process p { mmap anon 4K x $vmas }
