machine {
  cpus
}
driver d { callback 1us sleeps true }
process p {
  mmap anon 4K x
}
process q {
  fork { exit
}
