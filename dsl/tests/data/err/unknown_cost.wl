machine {
  cost spin_lock_cld 70ns
  cost vma_step 5ns
}
