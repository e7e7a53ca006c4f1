param index = 3
param strategy = mm_lock
sweep empty = []
sweep bad = pow2(3..1)
sweep huge = pow2(0..64)
