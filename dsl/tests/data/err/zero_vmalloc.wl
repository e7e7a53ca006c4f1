machine {
  vmalloc 0
  cpus 0
}
