//! The cost model: every simulated nanosecond the model charges comes from a named parameter here.
//!
//! Defaults are order-of-magnitude figures for a 2008 x86-64 server (2–3 GHz, DDR2); the book's
//! model chapter gives the reasoning for each. `machine { cost NAME DURATION }` overrides one.

macro_rules! costs {
    ($( $variant:ident = $name:literal, $default:expr, $unit:literal, $meaning:literal; )*) => {
        /// One cost-model parameter.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Cost { $($variant),* }

        /// Every parameter with its name, default, unit and meaning, in `sim costs` order.
        pub const COSTS: &[CostInfo] = &[
            $( CostInfo { cost: Cost::$variant, name: $name, default_ns: $default, unit: $unit, meaning: $meaning } ),*
        ];
    };
}

pub struct CostInfo {
    pub cost: Cost,
    pub name: &'static str,
    pub default_ns: u64,
    pub unit: &'static str,
    pub meaning: &'static str,
}

costs! {
    Syscall = "syscall", 150, "ns per call", "system call entry and return to user space";
    VmaStep = "vma_step", 4, "ns per VMA", "visit one VMA in a list walk (vm_next plus a few field tests)";
    LockCompare = "lock_compare", 6, "ns per comparison", "one comparison of v13's heap sort, cond_resched() check included";
    ArrayStore = "array_store", 2, "ns per entry", "store one lock pointer into mm_lock's array";
    SpinLockCold = "spin_lock_cold", 60, "ns per acquire", "uncontended spin_lock() when another task held the lock last (cache line moves)";
    SpinLockWarm = "spin_lock_warm", 15, "ns per acquire", "uncontended spin_lock() when this task held the lock last";
    SpinUnlock = "spin_unlock", 10, "ns per release", "spin_unlock()";
    SleepLockExtra = "sleep_lock_extra", 45, "ns per acquire", "extra cost of down_read/down_write/mutex_lock over spin_lock (might_sleep, owner tracking)";
    SleepUnlock = "sleep_unlock", 20, "ns per release", "up_read/up_write/mutex_unlock without waiters";
    Wakeup = "wakeup", 3_000, "ns per wake-up", "a task blocked on a sleeping lock or a timer is woken and scheduled back in";
    SignalCheck = "signal_check", 2, "ns per check", "signal_pending(current)";
    Kmalloc = "kmalloc", 150, "ns per call", "kmalloc()/kfree() of a small object";
    ListOp = "list_op", 20, "ns per operation", "hlist insert or delete of a notifier";
    VmallocCall = "vmalloc_call", 2_000, "ns per call", "vmalloc(): search the arena first-fit and set up the area";
    VmallocPage = "vmalloc_page", 250, "ns per page", "allocate and map one page of a vmalloc area";
    VfreeCall = "vfree_call", 1_500, "ns per call", "vfree(): unmap the area and flush the kernel TLB";
    VfreePage = "vfree_page", 80, "ns per page", "free one page of a vmalloc area";
    NotifierHook = "notifier_hook", 15, "ns per call", "a notifier hook on an mm with mm_has_notifiers() true: the call into mmu_notifier.c, rcu_read_lock and the walk of the list, callbacks not included";
    RcuGrace = "rcu_grace", 8_000_000, "ns per call", "synchronize_rcu(): every CPU passes a quiescent state (two jiffies at HZ=250)";
    MmapVma = "mmap_vma", 800, "ns per VMA", "mmap() work for one VMA besides its locks: get_unmapped_area, vma allocation, linking";
    MunmapVma = "munmap_vma", 500, "ns per VMA", "unmap work for one VMA besides its ptes: unlink, free_pgtables, remove_vma";
    PteZap = "pte_zap", 40, "ns per page", "tear down one present pte and free its page";
    Fault = "fault", 1_000, "ns per fault", "CPU page fault that allocates and maps a page";
    PageAccess = "page_access", 10, "ns per page", "touch of a page already mapped (no fault)";
    ForkVma = "fork_vma", 600, "ns per VMA", "dup_mmap() for one VMA: copy, link, anon_vma_link";
    PteCopy = "pte_copy", 20, "ns per page", "copy one present pte into the child (write-protecting it for COW)";
    MprotectVma = "mprotect_vma", 700, "ns per VMA", "split_vma() and change_protection() for one VMA besides the locks";
    RmapWalk = "rmap_walk", 500, "ns per page", "page_referenced() and try_to_unmap() of one page besides the locks";
    TruncateVma = "truncate_vma", 300, "ns per VMA", "unmap_mapping_range_vma() for one VMA besides pte teardown";
    ExitTask = "exit_task", 20_000, "ns per exit", "do_exit() work besides the mm: files, signals, scheduler";
    ExitMm = "exit_mm", 5_000, "ns per mm", "exit_mmap() fixed work: TLB gather, page-table pages, mm teardown";
}

impl Cost {
    pub fn info(self) -> &'static CostInfo {
        &COSTS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn by_name(name: &str) -> Option<Cost> {
        COSTS.iter().find(|c| c.name == name).map(|c| c.cost)
    }
}

/// A full cost table: the defaults with the workload's overrides applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Costs {
    ns: Vec<u64>,
}

impl Default for Costs {
    fn default() -> Self {
        Costs { ns: COSTS.iter().map(|c| c.default_ns).collect() }
    }
}

impl Costs {
    #[inline]
    pub fn get(&self, cost: Cost) -> u64 {
        self.ns[cost as usize]
    }

    pub fn set(&mut self, cost: Cost, ns: u64) {
        self.ns[cost as usize] = ns;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_variant_and_names_are_unique() {
        for (i, c) in COSTS.iter().enumerate() {
            assert_eq!(c.cost as usize, i);
            assert_eq!(Cost::by_name(c.name), Some(c.cost));
        }
        let mut names: Vec<_> = COSTS.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COSTS.len());
    }
}
