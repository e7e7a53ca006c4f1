seed
workload
process p { mmap anon }
expect register.ok ==
every 1ms
