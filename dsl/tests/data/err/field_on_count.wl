expect register.failed.max == 0
expect register.latency.avg < 1ms
