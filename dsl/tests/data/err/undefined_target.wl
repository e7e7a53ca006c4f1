process victim {
  sleep 1s
}
at victm.register oom_kill victim
at 1ms kill nobody
