option keep_lock_dat true
option lock_kind mutex
option unregister_pins_mm yes
