file "libc.so" size 2M
process p {
  mmap file "libc.s" private
}
every 1ms truncate "nothing"
