# overrides: cost.pte_zp=80ns cost.rcu_grace=5 cost.vmalloc_call=4K cost.fault=1.5q
process p { mmap anon 4K }
