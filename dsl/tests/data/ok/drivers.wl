driver kvm { callback 150ns }
driver xpmem {
  callback 2us
  sleeps true
  fault 5us
}
driver plain {}
process vm {
  register kvm
  register xpmem
  register plain
  touch 10
  unregister xpmem
  exit
}
