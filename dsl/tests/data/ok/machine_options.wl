machine {
  cpus 64
  memory 16G
  vmalloc 32T
  max_map_count 1000000
  cost spin_lock_cold 70ns
  cost rcu_grace 4ms
  cost vma_step 5ns
}
option unregister_pins_mm false
option keep_lock_data true
option lock_kind rwsem
strategy mm_take_all_locks
process p { exit }
