expect register.latency < 1ms
