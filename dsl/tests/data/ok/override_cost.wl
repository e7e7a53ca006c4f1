# overrides: cost.pte_zap=80ns cost.rcu_grace=1.5ms cost.pte_zap=90ns
# A cost set on the command line wins over the machine block's; the last of two wins.
machine {
  cost pte_zap 50ns
  cost fault 2us
}
process p { mmap anon 4K; touch 1 }
