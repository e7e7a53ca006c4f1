expect register.latncy.max < 1ms
expect deadlocks == 0
