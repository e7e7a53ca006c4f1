driver kvm { callback 150ns }
process vm {
  register kvn
  unregister gru
}
