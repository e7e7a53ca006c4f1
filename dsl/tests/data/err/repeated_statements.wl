workload "a"
workload "b"
seed 1
seed 2
strategy mm_lock
sweep strategy = [unsorted]
option lock_kind rwsem
option lock_kind spinlock
machine { cpus 2; cpus 4 }
driver d { callback 1us; callback 2us }
