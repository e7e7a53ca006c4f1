# Every step a process body can hold.
file "lib.so" size 8M
file "shm" size 64M
driver kvm { callback 150ns }
process owner {
  mmap anon 4K
  mmap anon 64K x 16
  mmap file "lib.so"
  mmap file "lib.so" 1M
  mmap file "lib.so" 1M x 2
  mmap file "lib.so" x 3 private
  mmap file "shm" 16M x 2 shared
  register kvm
  touch 100
  mprotect 4
  compute 10us
  sleep 1ms
  repeat 3 {
    touch 1
    repeat 2 {
      mprotect 1
    }
  }
  fork {
    touch 5
    exit
  }
  fork child {
    munmap 2
    exit
  }
  munmap 3
  unregister kvm
  munmap all
  exit
}
process peer {
  register kvm of owner
  sleep 1ms
  unregister kvm of owner
}
