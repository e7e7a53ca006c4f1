param n = 4
sweep layout = ["maps/a.maps", 16]
param path = "maps/b.maps"
process vm {
  mmap maps $n
  touch $path
}
expect register.ok == 1 when path == 4
